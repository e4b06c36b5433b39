import { describe, expect, it } from "vitest";
import { describeRefusedCharacter, findRefusedCharacter, findRefusedText } from "./refused-text.ts";

describe("refused characters", () => {
  it.each([
    ["NUL", "a\u0000b", 0x0],
    ["a bell", "\u0007", 0x7],
    ["a vertical tab", "x\u000b", 0xb],
    ["an escape", "\u001b[31m", 0x1b],
    ["DEL", "a\u007f", 0x7f],
    ["a C1 next-line", "a\u0085b", 0x85],
    ["a lone high surrogate", "a\ud800b", 0xd800],
    ["a lone low surrogate", "\udc00", 0xdc00],
    ["a high surrogate at the end", "tent\ud83d", 0xd83d],
  ])("refuses %s", (_, text, codePoint) => {
    expect(findRefusedCharacter(text)?.codePoint).toBe(codePoint);
  });

  it.each([
    ["tab, line feed and carriage return", "line one\r\n\tline two"],
    ["an emoji (a surrogate pair)", "tent 😀"],
    ["a zero-width joiner sequence", "👩\u200d💻"],
    ["right-to-left text with marks", "\u202eשלום\u200f"],
    ["a no-break space and the replacement character", "a\u00a0b\ufffd"],
    ["the empty string", ""],
  ])("accepts %s", (_, text) => {
    expect(findRefusedCharacter(text)).toBeUndefined();
  });

  it("names the character and what it is", () => {
    expect(describeRefusedCharacter(findRefusedCharacter("\u0000")!)).toBe(
      "contains U+0000, a control character",
    );
    expect(describeRefusedCharacter(findRefusedCharacter("\ud800")!)).toBe(
      "contains U+D800, an unpaired surrogate",
    );
  });

  it("finds a refused string anywhere in a JSON value, property names included", () => {
    expect(findRefusedText({ lines: [{ sku: "ok" }, { sku: "A\u0000" }] })).toMatchObject({
      path: ["lines", 1, "sku"],
      inKey: false,
      character: { codePoint: 0 },
    });
    expect(findRefusedText({ attributes: { "col\u007for": "red" } })).toMatchObject({
      path: ["attributes", "col\u007for"],
      inKey: true,
    });
    expect(findRefusedText("\ud800")).toMatchObject({ path: [] });
    expect(findRefusedText({ n: 1, b: true, z: null, s: "fine\n", a: ["ok"] })).toBeUndefined();
  });
});
