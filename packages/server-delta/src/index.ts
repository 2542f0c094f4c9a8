export { createDeltaProtocol, type DeltaProtocol } from "./delta-protocol.js";
