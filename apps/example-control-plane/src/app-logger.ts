import { type Logger, pino } from "pino";

/**
 * The app's logger: pino-pretty (colours, local times, one readable line per
 * event) on a terminal, pino's JSON lines otherwise (for log shippers and
 * the tests), or as `--log-format` says. Pretty printing runs in pino's
 * transport worker, off the event loop that serves xDS.
 */
export function createAppLogger(o: { level: string; format: "auto" | "pretty" | "json"; base: Record<string, unknown> }): Logger {
  const pretty = o.format === "pretty" || (o.format === "auto" && process.stdout.isTTY === true);
  if (!pretty) return pino({ level: o.level, base: o.base });
  return pino({
    level: o.level,
    base: o.base,
    transport: {
      target: "pino-pretty",
      options: { colorize: true, translateTime: "SYS:HH:MM:ss.l", ignore: "pid,hostname,app", singleLine: true },
    },
  });
}
