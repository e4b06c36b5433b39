/**
 * Strings an attacker or a broken client sends, and whether the platform refuses them (the kit's
 * `refusedTextRule`: control characters but tab, LF and CR, and unpaired surrogates) or must
 * simply survive them (no 5xx, no INTERNAL). `bytes` is what goes on the wire where a string is
 * sent as bytes (a URL, a protobuf): UTF-8, except that a lone surrogate is written as its three
 * bytes (as a careless encoder does), which is not valid UTF-8.
 */
export interface HostileString {
  name: string;
  text: string;
  refused: boolean;
  /** Only meaningful as bytes (not valid UTF-8 at all): not sent where text is JSON. */
  bytesOnly?: boolean;
}

export const hostileStrings: HostileString[] = [
  { name: "a NUL", text: "a\u0000b", refused: true },
  { name: "a bell", text: "\u0007", refused: true },
  { name: "an ANSI escape", text: "\u001b[31mred", refused: true },
  { name: "a vertical tab", text: "a\u000bb", refused: true },
  { name: "DEL", text: "x\u007f", refused: true },
  { name: "a C1 control", text: "a\u0085b", refused: true },
  { name: "a lone high surrogate", text: "a\ud800b", refused: true },
  { name: "a lone low surrogate", text: "\udc00", refused: true },
  // E0 80 AF: an over-long encoding of "/", the classic path-traversal disguise.
  { name: "an over-long UTF-8 encoding", text: "\ue001", refused: true, bytesOnly: true },
  { name: "tab, CR and LF", text: "a\tb\r\nc", refused: false },
  { name: "a right-to-left override", text: "\u202eevil.exe", refused: false },
  { name: "zero-width characters", text: "a\u200b\u200d\ufeffb", refused: false },
  { name: "quotes and SQL", text: `'; DROP TABLE x; --"\\`, refused: false },
  { name: "an over-long string", text: "x".repeat(100_000), refused: false },
];

const overlongSlash = Buffer.from([0xe0, 0x80, 0xaf]);

/** The bytes a careless client sends for `hostile`: see `HostileString`. */
export function looseBytes(hostile: HostileString): Buffer {
  if (hostile.bytesOnly) return overlongSlash;
  const parts: Buffer[] = [];
  for (let i = 0; i < hostile.text.length; i++) {
    const unit = hostile.text.charCodeAt(i);
    const pairs = unit >= 0xd800 && unit <= 0xdbff && isLow(hostile.text.charCodeAt(i + 1));
    if (pairs) {
      parts.push(Buffer.from(hostile.text.slice(i, i + 2), "utf8"));
      i++;
    } else if (unit >= 0xd800 && unit <= 0xdfff) {
      parts.push(Buffer.from([0xe0 | (unit >> 12), 0x80 | ((unit >> 6) & 0x3f), 0x80 | (unit & 0x3f)]));
    } else {
      parts.push(Buffer.from(hostile.text[i]!, "utf8"));
    }
  }
  return Buffer.concat(parts);
}

const isLow = (unit: number) => unit >= 0xdc00 && unit <= 0xdfff;

/** `hostile` percent-encoded for a URL, from its loose bytes: `%00`, `%ED%A0%80`. */
export function percentEncoded(hostile: HostileString): string {
  return [...looseBytes(hostile)]
    .map((byte) => (/[\w.~-]/.test(String.fromCharCode(byte)) ? String.fromCharCode(byte) : `%${hex(byte)}`))
    .join("");
}

const hex = (byte: number) => byte.toString(16).toUpperCase().padStart(2, "0");

/**
 * A stand-in of the same UTF-8 length as `looseBytes(hostile)`, to encode with a library that only
 * writes valid UTF-8 and then patch: every lone surrogate (and the over-long slash) becomes a
 * private-use character, three bytes like the bytes it stands for.
 */
export function encodableStandIn(hostile: HostileString): string {
  if (hostile.bytesOnly) return "\ue001";
  return hostile.text.replaceAll(/\p{Cs}/gu, "\ue000");
}

/** `bytes` with every occurrence of `from` replaced by `to` (of the same length). */
export function patchBytes(bytes: Uint8Array, from: Buffer, to: Buffer): Buffer {
  const patched = Buffer.from(bytes);
  if (from.equals(to)) return patched;
  for (let at = patched.indexOf(from); at !== -1; at = patched.indexOf(from, at + to.length)) {
    to.copy(patched, at);
  }
  return patched;
}
