export { type Browser, BrowserToolError, CHROMIUM_FLAGS, ensureChromium, launchBrowser } from "./launch-browser.js";
