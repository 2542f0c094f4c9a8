// Preload (node --import) for start-up tests: appends every module URL Node
// loads to $LOAD_LOG. In-thread module.registerHooks (Node >= 22.15): the
// off-thread module.register is deprecated from Node 26 (DEP0205).
import { appendFileSync } from "node:fs";
import { registerHooks } from "node:module";

registerHooks({
  load(url, context, next) {
    appendFileSync(process.env.LOAD_LOG, `${url}\n`);
    return next(url, context);
  },
});
