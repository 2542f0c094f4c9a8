import type { DescMessage, MessageShape } from "@bufbuild/protobuf";
import type { ConfigProblem } from "./config-problem.js";
import { decodeMessage } from "./decode-message.js";
import { formatOf, parseConfigText } from "./parse-config-text.js";
import { problemAt, type ReadOptions } from "./read-resources.js";

/** What {@link readMessage} read: the message, or every problem that kept it from decoding. */
export type ReadMessageResult<Desc extends DescMessage> =
  | { readonly message: MessageShape<Desc>; readonly problems: readonly [] }
  | { readonly message: undefined; readonly problems: readonly ConfigProblem[] };

/**
 * Reads one message written as YAML or JSON, as Envoy reads its bootstrap with `envoy -c`:
 * `readMessage(BootstrapSchema, text, { registry, file: "envoy.yaml" })`. Decoded as
 * {@link decodeMessage} does; every problem comes with its field path and line. A YAML text must
 * hold exactly one document.
 */
export function readMessage<Desc extends DescMessage>(schema: Desc, text: string, options: ReadOptions): ReadMessageResult<Desc> {
  const file = options.file ?? "<config>";
  const parsed = parseConfigText(text, file, options.format ?? formatOf(file));
  if (parsed.problem !== undefined) return { message: undefined, problems: [parsed.problem] };
  if (parsed.documents.length !== 1) {
    return { message: undefined, problems: [{ file, path: "", message: `expected one document, found ${parsed.documents.length}` }] };
  }
  const decoded = decodeMessage(schema, parsed.documents[0] ?? {}, options);
  if (decoded.message !== undefined) return { message: decoded.message, problems: [] };
  const at = { file, locate: parsed.locate, document: 0, keys: [], lineOffset: 0, path: "" };
  return { message: undefined, problems: decoded.problems.map((p) => problemAt(at, p.keys, p.message)) };
}
