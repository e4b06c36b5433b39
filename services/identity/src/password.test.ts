import { describe, expect, it } from "vitest";
import { hashPassword, verifyNoPassword, verifyPassword } from "./password.ts";

describe("password hashes", () => {
  it("are scrypt with N = 2^15 and a salt of their own, and verify only the same password", async () => {
    const first = await hashPassword("correct horse battery staple");
    const second = await hashPassword("correct horse battery staple");
    expect(first).toMatch(/^scrypt\$32768\$8\$1\$[\w-]{22}\$[\w-]{43}$/);
    expect(second).not.toBe(first);
    expect(await verifyPassword("correct horse battery staple", first)).toBe(true);
    expect(await verifyPassword("correct horse battery stapl", first)).toBe(false);
    expect(await verifyPassword("", first)).toBe(false);
  });

  it("refuse malformed or absurd stored hashes instead of throwing", async () => {
    const good = await hashPassword("a password of some length");
    const [, , r, p, salt, hash] = good.split("$");
    for (const bad of [
      "",
      "plain",
      `bcrypt$32768$${r}$${p}$${salt}$${hash}`,
      `scrypt$1073741824$${r}$${p}$${salt}$${hash}`,
      `scrypt$1000$${r}$${p}$${salt}$${hash}`,
      `scrypt$32768$${r}$${p}$${salt}$`,
      `${good}$extra`,
    ]) {
      expect(await verifyPassword("a password of some length", bad)).toBe(false);
    }
  });

  it("take as long for an unknown account as for a wrong password, and never match", async () => {
    expect(await verifyNoPassword("anything at all")).toBe(false);
  });
});
