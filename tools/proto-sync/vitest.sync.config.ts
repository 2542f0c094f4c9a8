import { defineConfig } from "vitest/config";

export default defineConfig({
  test: { include: ["src/**/*.sync.test.ts"], testTimeout: 900_000, hookTimeout: 900_000 },
});
