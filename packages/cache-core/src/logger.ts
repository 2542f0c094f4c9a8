/** Structured fields attached to a log line. */
export type LogFields = Readonly<Record<string, unknown>>;

/**
 * The logging seam every xdskit package accepts in its options. Adapt pino,
 * winston or console to it; the default, {@link silentLogger}, drops everything.
 */
export interface Logger {
  /** Protocol detail, off in production: one line per request or response. */
  debug(message: string, fields?: LogFields): void;
  /** Something worth knowing once: a state change, why a proxy waits. */
  info(message: string, fields?: LogFields): void;
  /** Something is wrong but served around: a NACK, a node with no snapshot. */
  warn(message: string, fields?: LogFields): void;
  /** A failure the caller did not see thrown: a callback or transport that failed. */
  error(message: string, fields?: LogFields): void;
}

const ignore = (): void => {};

/** A {@link Logger} that drops every line: the default wherever a logger is optional. */
export const silentLogger: Logger = Object.freeze({ debug: ignore, info: ignore, warn: ignore, error: ignore });
