import { defineConfig } from "vitest/config";

// Lets `pnpm exec vitest` at the root run any package's tests during development
// (each package's own vitest.config.ts, if any, still applies). CI runs the
// tests per package through turbo, after each package is built.
export default defineConfig({
  test: { projects: ["packages/*", "apps/*", "tools/*"] },
});
