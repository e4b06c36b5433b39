import { describe, expect, it } from "vitest";
import { rejection } from "../rpc/echo-server.fixture.ts";
import { testCallers, type TestCaller } from "../test-issuer.ts";
import { issuer, probeClient, startProbe, useAuthProbes } from "./auth-probe.fixture.ts";

// Who may call what, over real gRPC: the method's access option, then "a user acts only for
// themselves". A verified caller without the right is PERMISSION_DENIED.

useAuthProbes();

async function as(caller: TestCaller) {
  const { address } = await startProbe();
  return probeClient(address, { token: await issuer.token(caller) });
}

describe("access to a method", () => {
  it("lets a customer call a method open to any signed-in caller", async () => {
    const probe = await as(testCallers.customer("alice"));
    expect((await probe.whoAmI({})).caller?.subject).toBe("alice");
  });

  it("refuses a customer an administrative method", async () => {
    const probe = await as(testCallers.customer("alice"));
    const error = await rejection(probe.administer({}));
    expect(error.code).toBe("permission_denied");
    expect(error.message).toContain("AuthProbeService/Administer is for administrators");
  });

  it("refuses a plain service client an administrative method", async () => {
    const probe = await as(testCallers.service);
    expect((await rejection(probe.administer({}))).code).toBe("permission_denied");
  });

  it("lets an administrator and an operator's client call an administrative method", async () => {
    expect((await (await as(testCallers.admin("root"))).administer({})).caller?.subject).toBe("root");
    const operator = await as(testCallers.operator);
    expect((await operator.administer({})).caller?.roles).toEqual(["service", "admin"]);
  });

  it("keeps a method for service clients from users, administrators too", async () => {
    for (const user of [testCallers.customer("alice"), testCallers.admin("root")]) {
      const error = await rejection((await as(user)).serveService({}));
      expect(error.code).toBe("permission_denied");
      expect(error.message).toContain("is for service clients");
    }
  });

  it("lets a service client call a method for service clients", async () => {
    const probe = await as(testCallers.service);
    expect((await probe.serveService({})).caller).toMatchObject({
      subject: "svc-test",
      clientId: "svc-test",
    });
  });

  it("lets a user act for themselves", async () => {
    const probe = await as(testCallers.customer("alice"));
    expect((await probe.actFor({ userId: "alice" })).caller?.subject).toBe("alice");
  });

  it("refuses a user acting for another user, even an administrator", async () => {
    for (const user of [testCallers.customer("alice"), testCallers.admin("root")]) {
      const error = await rejection((await as(user)).actFor({ userId: "bob" }));
      expect(error.code).toBe("permission_denied");
      expect(error.message).toContain("a user may act only for themselves");
    }
  });

  it("refuses a user a request without the user it is for", async () => {
    const probe = await as(testCallers.customer("alice"));
    expect((await rejection(probe.actFor({ userId: "" }))).code).toBe("permission_denied");
  });

  it("lets a service client act for any user", async () => {
    const probe = await as(testCallers.service);
    expect((await probe.actFor({ userId: "bob" })).caller?.subject).toBe("svc-test");
  });
});
