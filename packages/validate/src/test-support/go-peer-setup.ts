// vitest globalSetup: builds the Go peer once, before any test file runs. On a fresh machine the
// first build downloads go-control-plane's modules and compiles its generated code, minutes on two
// cores (well past a test's timeout, and twice over when two test files build at once); the test
// files' own builds are then cache hits of a second or so.
import { goPeer } from "./go-peer.js";

export default async function setup(): Promise<void> {
  await goPeer();
}
