// What Envoy makes of a plain (unquoted) YAML scalar, as Envoy 1.40 does it (see envoy-yaml.ts).

const boolWords = new Map<string, boolean>([
  ["y", true],
  ["yes", true],
  ["true", true],
  ["on", true],
  ["n", false],
  ["no", false],
  ["false", false],
  ["off", false],
]);

/** All lower case, all upper case, or one upper-case letter then lower case (yaml-cpp's rule). */
function flexibleCase(s: string): boolean {
  const lower = s.toLowerCase();
  return s === lower || s === s.toUpperCase() || (s.slice(1) === lower.slice(1) && s[0] === s[0]?.toUpperCase());
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;
const streamInteger = /^([+-]?)(?:0[xX]([0-9a-fA-F]+)|(0[0-7]*)|([1-9][0-9]*))$/;

/** An integer as `std::istream >> int64_t` reads it with the base left to the prefix, or undefined. */
export function parseStreamInteger(source: string): bigint | undefined {
  const m = streamInteger.exec(source);
  if (m === null) return undefined;
  const [, sign, hex, octal, decimal] = m;
  let magnitude: bigint;
  if (hex !== undefined) magnitude = BigInt(`0x${hex}`);
  else if (octal !== undefined) magnitude = octal.length > 1 ? BigInt(`0o${octal.slice(1)}`) : 0n;
  else magnitude = BigInt(decimal ?? "0");
  const value = sign === "-" ? -magnitude : magnitude;
  return value < INT64_MIN || value > INT64_MAX ? undefined : value;
}

/** What Envoy makes of a plain scalar: null, a boolean, a number (32-bit integers), or the text (see envoy-yaml.ts). */
export function plainScalar(source: string): string | number | boolean | null {
  const first = source.charCodeAt(0);
  if (source === "" || source === "~" || source === "null" || source === "Null" || source === "NULL") return null;
  if (source.length <= 5) {
    const word = boolWords.get(source.toLowerCase());
    if (word !== undefined && flexibleCase(source)) return word;
  }
  // Digits and signs only start integers; most strings stop here.
  if ((first >= 48 && first <= 57) || first === 43 || first === 45) {
    // Small decimals are the common case: no BigInt for them.
    if (/^-?[1-9][0-9]{0,8}$/.test(source)) return Number(source);
    const value = parseStreamInteger(source);
    if (value !== undefined) return value >= INT32_MIN && value <= INT32_MAX ? Number(value) : value.toString();
  }
  return source;
}

