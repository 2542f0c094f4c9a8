// Logs every generated module Node loads to $GEN_LOAD_LOG. Uses the in-thread
// module.registerHooks (Node >= 22.15); module.register is deprecated from Node 26
// (DEP0205), and the test asserts an empty stderr.
import { appendFileSync } from "node:fs";
import * as nodeModule from "node:module";

const log = (url) => {
  if (url.includes("/dist/gen/")) appendFileSync(process.env.GEN_LOAD_LOG, `${url}\n`);
};

if (typeof nodeModule.registerHooks === "function") {
  nodeModule.registerHooks({
    load(url, context, next) {
      log(url);
      return next(url, context);
    },
  });
} else {
  nodeModule.register("./count-gen-loads.mjs", import.meta.url);
}
