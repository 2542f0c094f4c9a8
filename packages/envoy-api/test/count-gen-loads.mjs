// Loader hooks that append every generated module Node loads to $GEN_LOAD_LOG.
import { appendFileSync } from "node:fs";

export async function load(url, context, next) {
  if (url.includes("/dist/gen/")) appendFileSync(process.env.GEN_LOAD_LOG, `${url}\n`);
  return next(url, context);
}
