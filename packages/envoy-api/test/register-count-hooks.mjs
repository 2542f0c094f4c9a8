import { register } from "node:module";
register("./count-gen-loads.mjs", import.meta.url);
