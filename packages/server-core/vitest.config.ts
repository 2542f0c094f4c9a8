import { defineConfig } from "vitest/config";

// The encoder property tests run hundreds of random responses: seconds on a
// busy 2-core machine, more than vitest's 5 s default.
export default defineConfig({ test: { testTimeout: 60_000 } });
