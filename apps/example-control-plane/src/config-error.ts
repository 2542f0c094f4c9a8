/** One problem in the config directory, pinned to a file and, when known, a field path and line inside it. */
export interface ConfigProblem {
  /** Path of the file, relative to the config directory. */
  file: string;
  /** Where in the file: `resources[2].load_assignment.endpoints[0]`, or "" for the whole file. */
  fieldPath: string;
  reason: string;
  /** 1-based line of `fieldPath` in the file, when known. */
  line?: number | undefined;
}

export function formatProblem(p: ConfigProblem): string {
  return `${p.file}${p.line === undefined ? "" : `:${p.line}`}${p.fieldPath ? ` at ${p.fieldPath}` : ""}: ${p.reason}`;
}

/** Thrown when a config directory cannot become a snapshot; lists every problem found. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
  readonly code = "invalid-config";
  constructor(
    readonly problems: readonly ConfigProblem[],
    override readonly cause?: unknown,
  ) {
    super(`invalid config (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n  ${problems.map(formatProblem).join("\n  ")}`);
  }
}
