/**
 * Which characters no string input may hold, decided once for the whole platform: the RPC server
 * refuses them in every request message and the gateway in every query, path, header and body.
 *
 * Refused: Unicode's control characters (category Cc: U+0000–U+001F, U+007F DEL and the C1 range
 * U+0080–U+009F) except tab, line feed and carriage return; and unpaired surrogates.
 * - NUL is why this exists: PostgreSQL cannot store it in text ("invalid byte sequence"), so a
 *   NUL that got through became a 500. The other controls have no business in names, ids or
 *   search words either, and C1 ones are mostly mis-decoded Windows-1252 text.
 * - Tab, LF and CR stay allowed: free text such as a product description or a pasted address
 *   holds them legitimately, logs are JSON (escaped), and identifiers are held to their own
 *   patterns (UUIDs, the user and idempotency-key alphabets) which exclude them anyway.
 * - Unpaired surrogates are not text: UTF-8 cannot encode them, so they would silently become
 *   U+FFFD on the way to the database.
 * - Format characters (zero-width joiners, right-to-left marks) are allowed: emoji sequences and
 *   right-to-left names need them.
 */
export const refusedTextRule =
  "control characters (U+0000–U+001F, U+007F–U+009F) other than tab, line feed and carriage return, and unpaired surrogates, are refused";

const refused = /[\p{Cc}--[\t\n\r]]|\p{Cs}/v;

export interface RefusedCharacter {
  /** The refused code point (a lone surrogate's own value). */
  codePoint: number;
  kind: "control character" | "unpaired surrogate";
}

/**
 * The first refused character of `text`, or undefined when it has none.
 *
 * @example
 *   findRefusedCharacter("a\u0000b") // { codePoint: 0, kind: "control character" }
 *   findRefusedCharacter("line\r\n\t😀") // undefined
 */
export function findRefusedCharacter(text: string): RefusedCharacter | undefined {
  const match = refused.exec(text);
  if (!match) return undefined;
  const codePoint = match[0].codePointAt(0) ?? 0;
  return {
    codePoint,
    kind: codePoint >= 0xd800 && codePoint <= 0xdfff ? "unpaired surrogate" : "control character",
  };
}

/**
 * What is wrong, as the end of a sentence naming the input: `contains U+0000, a control character`.
 *
 * @example
 *   `category ${describeRefusedCharacter(found)}` // "category contains U+0000, a control character"
 */
export function describeRefusedCharacter({ codePoint, kind }: RefusedCharacter): string {
  return `contains U+${codePoint.toString(16).toUpperCase().padStart(4, "0")}, ${kind === "control character" ? "a control character" : "an unpaired surrogate"}`;
}

export interface RefusedText {
  /** Property names and array indexes from the root to the string. */
  path: (string | number)[];
  /** Whether the refused character is in the property name at the end of `path`, not its value. */
  inKey: boolean;
  character: RefusedCharacter;
}

/**
 * The first string in a parsed JSON value (property names included) holding a refused character.
 *
 * @example
 *   findRefusedText({ lines: [{ sku: "A\u0000" }] }) // { path: ["lines", 0, "sku"], inKey: false, … }
 */
export function findRefusedText(value: unknown, path: (string | number)[] = []): RefusedText | undefined {
  if (typeof value === "string") {
    const character = findRefusedCharacter(value);
    return character && { path, inKey: false, character };
  }
  if (typeof value !== "object" || value === null) return undefined;
  if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) {
      const found = findRefusedText(item, [...path, index]);
      if (found) return found;
    }
    return undefined;
  }
  for (const [key, item] of Object.entries(value)) {
    const character = findRefusedCharacter(key);
    if (character) return { path: [...path, key], inKey: true, character };
    const found = findRefusedText(item, [...path, key]);
    if (found) return found;
  }
  return undefined;
}
