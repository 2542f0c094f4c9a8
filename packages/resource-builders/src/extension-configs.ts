import { create } from "@bufbuild/protobuf";
import type { Any } from "@bufbuild/protobuf/wkt";
import { TypedExtensionConfigSchema, type TypedExtensionConfig } from "@xdskit/envoy-api/envoy/config/core/v3/extension_pb";
import { checkName, fail, subject } from "./validate.js";

/** Options of {@link extensionConfig}. */
export interface ExtensionConfigOptions {
  /** The ECDS resource name; filters refer to it by this name (see `ecdsHttpFilter`). */
  readonly name: string;
  /** The extension's config, e.g. `anyPack(BufferSchema, …)`. */
  readonly typedConfig: Any;
}

/** An ECDS resource: a named, typed extension config (for example an HTTP filter's config). */
export function extensionConfig(opts: ExtensionConfigOptions): TypedExtensionConfig {
  const s = subject("TypedExtensionConfig", opts.name);
  const name = checkName(s, "name", opts.name);
  if (typeof opts.typedConfig?.typeUrl !== "string" || opts.typedConfig.typeUrl === "") {
    fail(s, "missing-field", "typedConfig", "needs a packed config with a type URL");
  }
  return create(TypedExtensionConfigSchema, { name, typedConfig: opts.typedConfig });
}
