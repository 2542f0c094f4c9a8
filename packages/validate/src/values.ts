import { ScalarType } from "@bufbuild/protobuf";

/** A protobuf-es map key (always a string property) as the typed key it stands for. */
export function mapKeyOf(key: string, type: ScalarType | undefined): string | number | bigint | boolean {
  switch (type) {
    case ScalarType.STRING:
    case undefined:
      return key;
    case ScalarType.BOOL:
      return key === "true";
    case ScalarType.INT64:
    case ScalarType.UINT64:
    case ScalarType.SINT64:
    case ScalarType.FIXED64:
    case ScalarType.SFIXED64:
      return BigInt(key);
    default:
      return Number(key);
  }
}

/** What makes two list items equal for `repeated.unique` (bytes compare by content). */
export function uniqueKey(item: unknown): unknown {
  if (item instanceof Uint8Array) {
    let s = "";
    for (let i = 0; i < item.length; i += 4096) s += String.fromCharCode(...item.subarray(i, i + 4096));
    return s;
  }
  return item;
}
