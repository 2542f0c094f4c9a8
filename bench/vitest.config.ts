import { defineConfig } from "vitest/config";

// Its own config so the root one (a project list without bench) does not apply.
export default defineConfig({
	test: { include: ["src/**/*.test.ts"], testTimeout: 300_000 },
});
