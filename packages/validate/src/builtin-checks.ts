import type { ResourceCheck, SnapshotCheck } from "./semantic-check.js";

/** The built-in rules about one resource (see the README for what each refuses). */
export const builtinResourceChecks: readonly ResourceCheck[] = [];

/** The built-in rules about resources together. */
export const builtinSnapshotChecks: readonly SnapshotCheck[] = [];
