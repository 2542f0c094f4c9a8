import { defineConfig } from "vitest/config";

// Its own config so the root one (a project list without bench) does not apply. One file at a
// time: both test files build into .bin and dist, and the smoke run wants the machine to itself.
export default defineConfig({
	test: { include: ["src/**/*.test.ts"], testTimeout: 300_000, fileParallelism: false },
});
