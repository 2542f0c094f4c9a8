import { isPromise, type MaybePromise, type ProtocolStream, type ResponseChunks } from "@xdskit/server-core/internal";

/**
 * Requests that push themselves into a stream as they arrive, without an
 * async iterator's promise per request (the fast path's: an ACK per
 * response is most of what a busy delta server reads). `drive` hands each
 * request to `receive`, the next only once the previous one settled;
 * resolves when the requests end (the client half-closed, or went away),
 * rejects with what failed (reading them, after the requests read before
 * it; or `receive`, at once).
 */
export interface PushedRequests<Request> {
  drive(receive: (request: Request) => MaybePromise<void>): Promise<void>;
}

function isPushed<Request>(requests: AsyncIterable<Request> | PushedRequests<Request>): requests is PushedRequests<Request> {
  return typeof (requests as Partial<PushedRequests<Request>>).drive === "function";
}

async function iterate<Request>(stream: ProtocolStream<Request, unknown>, requests: AsyncIterable<Request>): Promise<void> {
  for await (const request of requests) {
    const received = stream.receive(request);
    if (received !== undefined) await received;
  }
}

// Feeds `requests` into the stream, one at a time. A request that fails ends
// the stream through next(); the requests ending (the client half-closed) or
// failing to read end it by closing it.
function pump<Request>(
  stream: ProtocolStream<Request, unknown>,
  requests: AsyncIterable<Request> | PushedRequests<Request>,
  onError: (error: unknown) => void,
): void {
  const done = isPushed(requests) ? requests.drive((request) => stream.receive(request)) : iterate(stream, requests);
  done.then(
    () => stream.close(),
    (error: unknown) => {
      onError(error);
      return stream.close(error);
    },
  );
}

/**
 * Runs one stream on a transport that writes bytes: opens it, feeds it
 * `requests` while its encoded responses are written, and closes it however
 * it ended. `write` is awaited before the next response is taken, so a
 * transport that resolves only once its buffer has room keeps at most one
 * unsent answer per type.
 *
 * Resolves when the client half-closed or went away; rejects with what ended
 * the stream otherwise (a refused open, a bad request, reading the requests
 * failed, shutdown): map it with `statusOf`.
 */
export async function serveStream<Request>(
  stream: ProtocolStream<Request, unknown>,
  requests: AsyncIterable<Request> | PushedRequests<Request>,
  write: (response: ResponseChunks) => void | Promise<void>,
): Promise<void> {
  let failure: { readonly error: unknown } | undefined;
  // Waiting for an answer is one promise of this loop's, resolved by the stream's wake (not a
  // chain of promises through the stream's layers): a busy server waits once per response.
  let woke = false;
  let resume: (() => void) | undefined;
  const wake = (): void => {
    woke = true;
    const waiting = resume;
    resume = undefined;
    waiting?.();
  };
  try {
    await stream.open();
    pump(stream, requests, (error) => {
      failure ??= { error };
    });
    for (;;) {
      // A response ready now is written now: a promise only when there is none yet.
      woke = false;
      let response = stream.poll(wake);
      if (response === null) {
        if (!woke) {
          await new Promise<void>((resolve) => {
            resume = resolve;
          });
        }
        continue;
      }
      if (isPromise(response)) response = await response;
      if (response === undefined) break;
      const written = write(response);
      if (written !== undefined) await written;
    }
  } catch (error) {
    failure ??= { error };
  }
  await stream.close(failure?.error);
  if (failure !== undefined) throw failure.error;
}

/**
 * {@link serveStream} for transports that pull messages and serialize them
 * themselves (Connect): each response is made only when the consumer asks
 * for the next. Ends as `serveStream` resolves, throws what it rejects with;
 * a consumer that stops early (`return()`) closes the stream.
 */
export async function* streamMessages<Request, Response>(
  stream: ProtocolStream<Request, Response>,
  requests: AsyncIterable<Request>,
): AsyncGenerator<Response, void, undefined> {
  let failure: { readonly error: unknown } | undefined;
  try {
    await stream.open();
    pump(stream, requests, (error) => {
      failure ??= { error };
    });
    for (;;) {
      const response = await stream.nextMessage();
      if (response === undefined) break;
      yield response;
    }
  } catch (error) {
    failure ??= { error };
  } finally {
    await stream.close(failure?.error);
  }
  if (failure !== undefined) throw failure.error;
}
