import type { ProtocolStream, ResponseChunks } from "./protocol-stream.js";

/**
 * Runs one stream on a transport: opens it, feeds it `requests` while its
 * responses are written, and closes it however it ended. `write` is awaited
 * before the next response is taken, so a transport that resolves only once
 * its buffer has room keeps at most one unsent answer per type.
 *
 * Resolves when the client half-closed or went away; rejects with what ended
 * the stream otherwise (a refused open, a bad request, reading the requests
 * failed, shutdown): map it with `statusOf`.
 */
export function serveStream<Request>(
  stream: ProtocolStream<Request, unknown>,
  requests: AsyncIterable<Request>,
  write: (response: ResponseChunks) => void | Promise<void>,
): Promise<void> {
  return run(stream, requests, () => stream.next(), write);
}

/** {@link serveStream} for transports that write messages (they serialize themselves). */
export function serveStreamMessages<Request, Response>(
  stream: ProtocolStream<Request, Response>,
  requests: AsyncIterable<Request>,
  write: (response: Response) => void | Promise<void>,
): Promise<void> {
  return run(stream, requests, () => stream.nextMessage(), write);
}

async function run<Request, T>(
  stream: ProtocolStream<Request, unknown>,
  requests: AsyncIterable<Request>,
  next: () => Promise<T | undefined>,
  write: (response: T) => void | Promise<void>,
): Promise<void> {
  let failure: { readonly error: unknown } | undefined;
  try {
    await stream.open();
    // A request that fails ends the stream through next(); the requests
    // ending (the client half-closed) or failing to read end it by closing.
    const pump = async () => {
      for await (const request of requests) await stream.receive(request);
    };
    pump().then(
      () => stream.close(),
      (error: unknown) => {
        failure ??= { error };
        return stream.close(error);
      },
    );
    for (;;) {
      const response = await next();
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
