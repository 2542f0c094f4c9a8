// The guards given on the command line reach the server: a stream that never sends its first
// request is ended by the app's --first-request-timeout, with a status that says why.
import { once } from "node:events";
import * as http2 from "node:http2";
import { lazyEnvoyRegistry } from "@xdskit/envoy-config";
import { pino } from "pino";
import { afterEach, expect, it } from "vitest";
import { defaultConfigDir, parseCli } from "./cli-options.js";
import { startControlPlane, type ControlPlane } from "./control-plane.js";
import { loopbackOptions } from "./control-plane.test-helper.js";

let cp: ControlPlane | undefined;

afterEach(async () => {
  await cp?.stop();
});

it("--first-request-timeout ends a silent stream with DEADLINE_EXCEEDED", async () => {
  const { guards } = parseCli(["--first-request-timeout", "300"]);
  cp = await startControlPlane({
    ...loopbackOptions(defaultConfigDir, lazyEnvoyRegistry(), pino({ level: "silent" })),
    watch: false,
    guards,
  });
  const session = http2.connect(`http://127.0.0.1:${cp.port}`);
  try {
    const stream = session.request({
      ":method": "POST",
      ":path": "/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources",
      "content-type": "application/grpc",
      te: "trailers",
    });
    stream.resume();
    const [trailers] = (await once(stream, "trailers")) as [http2.IncomingHttpHeaders];
    expect(trailers["grpc-status"]).toBe("4");
    // The app's 300 ms, not the server's default of 5 s.
    expect(decodeURIComponent(String(trailers["grpc-message"]))).toMatch(/no first request within 300 ms/);
  } finally {
    session.destroy();
  }
});
