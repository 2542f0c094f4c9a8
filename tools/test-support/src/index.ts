export { FLAG, FRAME, frame, GRPC_HEADERS, headerBlock, type RawH2, rawH2 } from "./raw-h2.js";
