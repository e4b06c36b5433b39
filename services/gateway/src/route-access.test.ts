import Fastify, { type FastifyInstance, type FastifyReply } from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import { documentAccess, requireDeclaredAccess, type AccessHooks } from "./route-access.ts";

let app: FastifyInstance | undefined;
afterEach(() => app?.close());

/** Hooks that record their runs; `requireAdmin` refuses with a 403. */
function recordingHooks(seen: string[]): AccessHooks {
  return {
    authenticate: (request) => {
      seen.push(`authenticate ${request.url}`);
      return Promise.resolve();
    },
    requireAdmin: async (request, reply: FastifyReply) => {
      seen.push(`require admin ${request.url}`);
      return reply.code(403).send("no");
    },
    signedIn: [
      (request) => {
        seen.push(`signed in ${request.url}`);
        return Promise.resolve();
      },
    ],
  };
}

describe("declared route access", () => {
  it("stops startup at a route that does not say who may call it, or says something unknown", () => {
    app = Fastify();
    requireDeclaredAccess(app, recordingHooks([]));
    expect(() => app?.get("/api/v1/secrets", () => "all of them")).toThrow(
      /GET \/api\/v1\/secrets does not say who may call it/,
    );
    const config = { access: "friends" } as unknown as { access: "public" };
    expect(() => app?.get("/api/v1/friends", { config }, () => "some")).toThrow(
      /does not say who may call it/,
    );
  });

  it("runs authentication, the admin check and the signed-in hooks, in that order, before the route's own", async () => {
    const seen: string[] = [];
    app = Fastify();
    requireDeclaredAccess(app, recordingHooks(seen));
    const onRequest = (_request: unknown, _reply: unknown, done: () => void) => {
      seen.push("own hook");
      done();
    };
    app.get("/mine", { config: { access: "user" }, onRequest }, () => "mine");
    app.get("/everyone", { config: { access: "public" } }, () => "everyone's");
    app.get("/admin", { config: { access: "admin" } }, () => "the keys");
    await app.inject({ url: "/mine" });
    await app.inject({ url: "/everyone" });
    const admin = await app.inject({ url: "/admin" });
    expect(admin.statusCode).toBe(403);
    expect(seen).toEqual([
      "authenticate /mine",
      "signed in /mine",
      "own hook",
      "authenticate /admin",
      "require admin /admin",
    ]);
  });

  it("documents the security schemes, the 401 and the 403 of operations with a caller", () => {
    const schema = { operationId: "x", response: { 200: { description: "ok" } } };
    const security = [{ oauth2: ["api"] }, { openIdConnect: ["api"] }];
    expect(documentAccess(schema, "public")).toBe(schema);
    expect(documentAccess(schema, "user")).toEqual({
      operationId: "x",
      security,
      response: {
        200: { description: "ok" },
        401: expect.objectContaining({ headers: expect.anything() }),
        403: expect.objectContaining({ description: expect.stringMatching(/api. scope/) }),
      },
    });
    expect(documentAccess(schema, "admin")).toEqual({
      operationId: "x",
      security,
      response: {
        200: { description: "ok" },
        401: expect.anything(),
        403: expect.objectContaining({ description: expect.stringMatching(/admin/) }),
      },
    });
  });
});
