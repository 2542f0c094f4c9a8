// `rest.preload: "background"`: listen() resolves without waiting
// for the JSON registry, which loads meanwhile; a poll that comes before the
// load ends waits for that same load and is answered in full (nested Any
// types included). Its own file, so that no other test of the process has
// loaded the registry before.
import { afterEach, expect, it } from "vitest";
import { type ListenerServer, pollListeners, serveListenerWithHcm } from "./rest-listener-poll.test-helper.js";

let server: ListenerServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

it("answers a REST poll that comes while the registry is still loading, once it is loaded", async () => {
  server = await serveListenerWithHcm("background");
  const poll = await pollListeners(server.url);
  expect(poll.status, poll.body).toBe(200);
  expect(poll.filterType).toContain("HttpConnectionManager");
});
