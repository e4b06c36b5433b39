import { describe, expect, it } from "vitest";
import { readTokenSettings } from "./settings.ts";

describe("readTokenSettings", () => {
  it("makes NAME@tessera.local of a plain name, and finds identity's own port through the runner's ports", () => {
    expect(readTokenSettings(["alice"], {}, "/repo")).toEqual({
      email: "alice@tessera.local",
      issuer: "http://127.0.0.1:8090/oidc",
      usersFile: "/repo/.data/token-users.json",
    });
    expect(
      readTokenSettings(["bob"], { TESSERA_PORT_OFFSET: "3000", TESSERA_DATA_DIR: "/tmp/run" }, "/repo"),
    ).toEqual({
      email: "bob@tessera.local",
      issuer: "http://127.0.0.1:11090/oidc",
      usersFile: "/tmp/run/token-users.json",
    });
  });

  it("takes an address as it is, and the issuer from IDENTITY_ISSUER", () => {
    const settings = readTokenSettings(
      ["carol@example.com"],
      { IDENTITY_ISSUER: "http://127.0.0.1:8080/oidc", TESSERA_DATA_DIR: "state" },
      "/repo",
    );
    expect(settings).toEqual({
      email: "carol@example.com",
      issuer: "http://127.0.0.1:8080/oidc",
      usersFile: "/repo/state/token-users.json",
    });
  });

  it("says how to use it when the name is missing, doubled or strange", () => {
    for (const args of [[], ["a", "b"], ["-x"], ["a b"], ["../etc"]]) {
      expect(() => readTokenSettings(args, {}, "/repo")).toThrow(/usage: npm run -s token -- NAME/);
    }
  });
});
