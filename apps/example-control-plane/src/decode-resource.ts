import { fromJson, type DescMessage, type JsonValue, type Message, type Registry } from "@bufbuild/protobuf";
import type { ConfigProblem } from "./config-error.js";
import { locateJsonError } from "./locate-json-error.js";
import type { RawResource } from "./parse-resource-file.js";

export interface DecodedResource {
  typeUrl: string;
  schema: DescMessage;
  message: Message;
  origin: { file: string; path: string };
}

const join = (a: string, b: string): string => (a && b ? `${a}.${b}` : a || b);

/** Decodes one resource object (protobuf JSON with "@type") against the registry, or says exactly where and why it fails. */
export function decodeResource(raw: RawResource, registry: Registry): DecodedResource | ConfigProblem {
  const { "@type": typeUrlValue, ...body } = raw.json;
  const typeUrl = String(typeUrlValue);
  const schema = registry.getMessage(typeUrl.slice(typeUrl.lastIndexOf("/") + 1));
  if (!schema) return { file: raw.file, fieldPath: join(raw.path, '"@type"'), reason: `unknown resource type ${typeUrl}` };
  try {
    const message = fromJson(schema, body as JsonValue, { registry });
    return { typeUrl: typeUrl.includes("/") ? typeUrl : `type.googleapis.com/${typeUrl}`, schema, message, origin: { file: raw.file, path: raw.path } };
  } catch (e) {
    const at = locateJsonError(schema, body as JsonValue, registry);
    return {
      file: raw.file,
      fieldPath: join(raw.path, at?.path ?? ""),
      reason: at?.reason ?? (e instanceof Error ? e.message : String(e)),
    };
  }
}
