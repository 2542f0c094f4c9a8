/**
 * The V8 flags the app runs with: in `dist/main.js`'s `#!` line, `scripts/start.sh` and the
 * package's `start` script (node-flags.test.ts keeps them equal), and in the config benchmark,
 * which measures the app as it starts.
 *
 * `--max-semi-space-size=2` (MB): V8's young generation grows to its default cap (two 32 MB
 * semi-spaces on Node 26) while a large config is loaded, because everything decoded survives its
 * first collections; those 64 MB stay committed. Capped at 2 MB, loading 50,000 endpoints takes
 * about 172 MB of RSS instead of 230–265 MB (185 MB at 8 MB), for the same CPU time; at 1 MB
 * reloads start to pay for full collections (see the README's figures).
 *
 * `--heap-growing-percent=100`: after a full collection V8 lets the old generation grow to twice
 * what survived before the next one (by default by a factor it picks from its collection and
 * allocation speeds, up to four). The app keeps
 * little (resources as bytes, ~37 MB of heap for 10,000 resources) and leaves a lot of short-lived
 * garbage behind a load or a reload; at the default factor that garbage piled up to ~210 MB of RSS
 * over a load and 5 reloads, at twice what survives it stays under ~170 MB, for about the same CPU
 * (see the README's figures).
 *
 * `--no-allocation-site-pretenuring`: V8 watches where objects are allocated, and when most of
 * those made at one place in the code outlive a young-generation collection it allocates the
 * later ones in the old generation directly. A load gets places tenured that way early (the
 * records kept per resource, and protobuf-es's message creation, which every message type shares)
 * and then allocates every decoded message of the 10,000 resources in the old generation: ~34 MB
 * more that only a full collection frees, and every young object stored into one of them is
 * recorded for the next scavenge. Without it the load takes 9–13 % less CPU (two A/B series) for
 * the same peak RSS (see the README's figures).
 */
export const APP_NODE_FLAGS: readonly string[] = ["--max-semi-space-size=2", "--heap-growing-percent=100", "--no-allocation-site-pretenuring"];
