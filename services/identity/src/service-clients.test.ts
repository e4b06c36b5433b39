import { describe, expect, it } from "vitest";
import { parseServiceClients, serviceClientRoles } from "./service-clients.ts";

const SECRET = "0123456789abcdefghijklmnopqrstuv";

describe("IDENTITY_SERVICE_CLIENTS", () => {
  it("reads id:secret pairs and JSON alike", () => {
    const expected = [
      { id: "svc-orders", secret: SECRET },
      { id: "tessera-checker", secret: `${SECRET}:with-colon` },
    ];
    expect(parseServiceClients(`svc-orders:${SECRET}, tessera-checker:${SECRET}:with-colon`)).toEqual(
      expected,
    );
    expect(
      parseServiceClients(
        JSON.stringify({ "svc-orders": SECRET, "tessera-checker": `${SECRET}:with-colon` }),
      ),
    ).toEqual(expected);
  });

  it("says what is wrong without repeating a secret", () => {
    const problems = [
      parseServiceClients(`orders:${SECRET}`),
      parseServiceClients(SECRET),
      parseServiceClients("svc-orders:short"),
      parseServiceClients(`svc-orders:${SECRET} with space`),
      parseServiceClients(`svc-orders:${SECRET},svc-orders:${SECRET}`),
      parseServiceClients('{"svc-orders": 42}'),
      parseServiceClients("{not json"),
    ];
    for (const problem of problems) {
      expect(problem).toEqual(expect.any(String));
      expect(problem).not.toContain(SECRET);
    }
    expect(problems[0]).toBe(
      "entry 1 is not svc-<service>, tessera-checker or tessera-bench followed by its secret",
    );
  });

  it("gives services the service role, and the checker and the bench admin too", () => {
    expect(serviceClientRoles("svc-orders")).toEqual(["service"]);
    expect(serviceClientRoles("tessera-checker")).toEqual(["service", "admin"]);
    expect(serviceClientRoles("tessera-bench")).toEqual(["service", "admin"]);
  });
});
