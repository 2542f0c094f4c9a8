/**
 * About how many bytes `value` takes once serialized for IPC (structured
 * clone): the bytes of its typed arrays and the length of its strings, plus a
 * few bytes per other value and property. Walking the change costs a small
 * part of serializing it, which node does anyway when it is sent; a value
 * reached twice is counted once, as the serializer writes it once.
 */
export function changeSize(value: unknown): number {
  let size = 0;
  const seen = new Set<object>();
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const item = stack.pop();
    if (typeof item === "string") size += item.length + 5;
    else if (typeof item !== "object" || item === null) size += 9;
    else if (ArrayBuffer.isView(item)) size += item.byteLength + 10;
    else if (item instanceof ArrayBuffer) size += item.byteLength + 5;
    else if (!seen.has(item)) {
      seen.add(item);
      if (Array.isArray(item)) {
        size += 5;
        for (const element of item) stack.push(element);
      } else if (item instanceof Map) {
        size += 5;
        for (const [key, entry] of item) stack.push(key, entry);
      } else if (item instanceof Set) {
        size += 5;
        for (const entry of item) stack.push(entry);
      } else {
        size += 5;
        for (const key in item) {
          size += key.length + 2;
          stack.push((item as Record<string, unknown>)[key]);
        }
      }
    }
  }
  return size;
}
