import { defineModeSuite } from "../support/mode-suite.js";

defineModeSuite("delta");
