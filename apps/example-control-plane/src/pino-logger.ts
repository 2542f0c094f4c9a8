import type { LogFields, Logger } from "@xdskit/cache-core";
import type { Logger as Pino } from "pino";

/** The library's Logger interface over pino. */
export function toXdsLogger(pino: Pino): Logger {
  return {
    debug: (msg: string, fields?: LogFields) => pino.debug(fields ?? {}, msg),
    info: (msg: string, fields?: LogFields) => pino.info(fields ?? {}, msg),
    warn: (msg: string, fields?: LogFields) => pino.warn(fields ?? {}, msg),
    error: (msg: string, fields?: LogFields) => pino.error(fields ?? {}, msg),
  };
}
