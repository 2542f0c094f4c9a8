/**
 * The V8 flags the app runs with: in `dist/main.js`'s `#!` line, `scripts/start.sh` and the
 * package's `start` script (node-flags.test.ts keeps them equal), and in the config benchmark,
 * which measures the app as it starts.
 *
 * `--max-semi-space-size=8` (MB): V8's young generation grows to its default cap (two 32 MB
 * semi-spaces on Node 26) while a large config is loaded, because everything decoded survives its
 * first collections; those 64 MB stay committed. Capped at 8 MB, loading 50,000 endpoints peaks
 * near 185 MB of RSS instead of 230–265 MB, for the same CPU time (see the README's figures).
 */
export const APP_NODE_FLAGS: readonly string[] = ["--max-semi-space-size=8"];
