// A REST proxy's first poll (Envoy's api_type REST, request_timeout 1 s by
// default) must be answered within 1 s: with `rest.preload: "listen"` the
// gateway's JSON registry is loaded by listen(), not by the first request.
// Its own file, so that no other test of the process has loaded the registry
// before.
import { afterEach, expect, it } from "vitest";
import { type ListenerServer, pollListeners, serveListenerWithHcm } from "./rest-listener-poll.test-helper.js";

let server: ListenerServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

it("answers the first REST poll within Envoy's 1 s fetch timeout, nested Any types included", async () => {
  server = await serveListenerWithHcm("listen");
  const started = performance.now();
  const poll = await pollListeners(server.url);
  const elapsedMs = performance.now() - started;
  expect(poll.status, poll.body).toBe(200);
  expect(poll.filterType).toContain("HttpConnectionManager");
  expect(elapsedMs).toBeLessThan(1000);
});
