import { defineConfig } from "vitest/config";

// The package's own config, so running vitest here does not pick up a root
// config. `*.test-d.ts` files are type-level tests, checked by tsc with the
// package's strict tsconfig (exactOptionalPropertyTypes included).
export default defineConfig({
  test: { include: ["src/**/*.test.ts"], typecheck: { enabled: true, include: ["src/**/*.test-d.ts"], tsconfig: "./tsconfig.json" } },
});
