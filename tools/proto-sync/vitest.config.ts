import { configDefaults, defineConfig } from "vitest/config";

// The sync test rewrites packages/envoy-api and needs the Go module proxy:
// it runs alone, after the build (see vitest.sync.config.ts).
export default defineConfig({
  test: { exclude: [...configDefaults.exclude, "**/*.sync.test.ts"] },
});
