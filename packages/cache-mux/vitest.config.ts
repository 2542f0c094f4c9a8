import { defineConfig } from "vitest/config";

// The package's own config, so running vitest here does not pick up the root
// workspace config (whose project globs only resolve from the repo root).
export default defineConfig({ test: { include: ["src/**/*.test.ts"] } });
