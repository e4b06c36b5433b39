import { errors } from "oidc-provider";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postgresAdapter, pruneOidcModels } from "./oidc-adapter.ts";
import { startTestIdentity, type TestIdentity } from "./testing/test-service.ts";

describe("oidc-provider's adapter on PostgreSQL", () => {
  let identity: TestIdentity;
  let adapter: ReturnType<typeof postgresAdapter>;

  beforeAll(async () => {
    identity = await startTestIdentity();
    adapter = postgresAdapter(identity.service.db);
  });

  afterAll(() => identity?.stop());

  it("finds what it stored until it is consumed, destroyed or revoked with its grant", async () => {
    const tokens = adapter("RefreshToken");
    await tokens.upsert("one", { jti: "one", grantId: "grant-1", kind: "RefreshToken" }, 60);
    await tokens.upsert("two", { jti: "two", grantId: "grant-1", kind: "RefreshToken" }, 60);
    await tokens.upsert("three", { jti: "three", grantId: "grant-2", kind: "RefreshToken" }, 60);
    expect(await tokens.find("one")).toEqual({ jti: "one", grantId: "grant-1", kind: "RefreshToken" });
    // Models are kept apart: the same id under another model is another row.
    expect(await adapter("AuthorizationCode").find("one")).toBeUndefined();

    await tokens.consume("one");
    expect(await tokens.find("one")).toMatchObject({ jti: "one", consumed: expect.any(Number) });
    await tokens.revokeByGrantId("grant-1");
    expect(await tokens.find("one")).toBeUndefined();
    expect(await tokens.find("two")).toBeUndefined();
    expect(await tokens.find("three")).toBeDefined();
    await tokens.destroy("three");
    expect(await tokens.find("three")).toBeUndefined();
  });

  it("finds sessions by uid, and never a configured client", async () => {
    await adapter("Session").upsert(
      "session-jti",
      { jti: "session-jti", uid: "session-uid", kind: "Session" },
      60,
    );
    expect(await adapter("Session").findByUid("session-uid")).toMatchObject({ jti: "session-jti" });
    expect(await adapter("Client").find("tessera-web")).toBeUndefined();
  });

  it("hides expired rows at once and prunes them, keeping rows without expiry", async () => {
    const codes = adapter("AuthorizationCode");
    await codes.upsert("soon", { jti: "soon" }, 30);
    await adapter("Grant").upsert("forever", { jti: "forever" });
    expect(await pruneOidcModels(identity.service.db, new Date())).toBe(0);
    expect(
      await pruneOidcModels(identity.service.db, new Date(Date.now() + 60_000), 1),
    ).toBeGreaterThanOrEqual(1);
    expect(await codes.find("soon")).toBeUndefined();
    expect(await adapter("Grant").find("forever")).toEqual({ jti: "forever" });
  });

  it("keeps NUL away from PostgreSQL: lookups find nothing and saves are a 400", async () => {
    expect(await adapter("RefreshToken").find("a\u0000b")).toBeUndefined();
    await expect(
      adapter("Interaction").upsert("x", { jti: "x", params: { state: "\u0000" } }, 60),
    ).rejects.toBeInstanceOf(errors.InvalidRequest);
  });
});
