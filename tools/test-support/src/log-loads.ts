// Preload (`node --import`) that appends the URL of every module Node loads to the file named
// by $LOAD_LOG, one per line, as it loads. In-thread `module.registerHooks` (Node >= 22.15): the
// off-thread `module.register` is deprecated from Node 26 (DEP0205). Node's built-in modules load
// outside the hooks and are not listed.
import { appendFileSync } from "node:fs";
import { registerHooks } from "node:module";

const log = process.env.LOAD_LOG;
if (log === undefined || log === "") throw new Error("log-loads: set LOAD_LOG to the file to append module URLs to");
registerHooks({
  load(url, context, next) {
    appendFileSync(log, `${url}\n`);
    return next(url, context);
  },
});
