import { defineConfig } from "vitest/config";

// The package's own config, so running vitest here does not pick up a root
// config. `*.test-d.ts` files are type-level tests, checked by tsc with the
// package's strict tsconfig (exactOptionalPropertyTypes included). The timeout is the test
// runner's bound, not a performance goal: the marshal property (300 generated assignments, ~0.7 s
// alone) took over 5 s, vitest's default, with the whole suite on two shared cores.
export default defineConfig({
  test: { include: ["src/**/*.test.ts"], testTimeout: 60_000, typecheck: { enabled: true, include: ["src/**/*.test-d.ts"], tsconfig: "./tsconfig.json" } },
});
