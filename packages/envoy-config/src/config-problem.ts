/** Something wrong (or, as a notice, worth knowing) in a config text, pinned to where it was written. */
export interface ConfigProblem {
  /** The file (or label) given to the reader. */
  readonly file: string;
  /** Where in the file: `static_resources.clusters[0].connect_timeout`, `[3].name`, or "" for the whole text. */
  readonly path: string;
  /** What is wrong, in words that say how to fix it. */
  readonly message: string;
  /** 1-based line of `path` in the text, when it was found. */
  readonly line?: number | undefined;
  /** 1-based column of `path` in the text, when it was found. */
  readonly column?: number | undefined;
}

/** `file:line at path: message`, as one line. */
export function formatProblem(p: ConfigProblem): string {
  const where = p.line === undefined ? p.file : `${p.file}:${p.line}`;
  return `${where}${p.path === "" ? "" : ` at ${p.path}`}: ${p.message}`;
}

/** What went wrong: a config with problems, or options the reader cannot work with. */
export type ConfigReadErrorCode = "invalid-config" | "invalid-option";

/**
 * The error of this package. The readers return problems rather than throw them (a config is
 * fixed by reading all of them at once); throw one with `new ConfigReadError(problems)` where a
 * config with problems must stop the program. Thrown by the readers themselves only for
 * `invalid-option`.
 */
export class ConfigReadError extends Error {
  /** The class name, for logs. */
  override readonly name = "ConfigReadError";
  /** What went wrong, as a stable string (see {@link ConfigReadErrorCode}). */
  readonly code: ConfigReadErrorCode;
  /** Every problem found, each with its file, path and line. */
  readonly problems: readonly ConfigProblem[];

  constructor(problems: readonly ConfigProblem[], options: { readonly code?: ConfigReadErrorCode | undefined; readonly cause?: unknown } = {}) {
    const n = problems.length;
    super(`invalid config (${n} problem${n === 1 ? "" : "s"}):\n  ${problems.map(formatProblem).join("\n  ")}`, { cause: options.cause });
    this.code = options.code ?? "invalid-config";
    this.problems = problems;
  }

  /** A reader's complaint about how it was called. */
  static invalidOption(message: string): ConfigReadError {
    const e = new ConfigReadError([], { code: "invalid-option" });
    e.message = message;
    return e;
  }
}
