import Fastify, { type FastifyInstance } from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import { documentAccess, requireDeclaredAccess } from "./route-access.ts";

let app: FastifyInstance | undefined;
afterEach(() => app?.close());

describe("declared route access", () => {
  it("stops startup at a route that does not say who may call it", () => {
    app = Fastify();
    requireDeclaredAccess(app, { authenticate: () => Promise.resolve() });
    expect(() => app?.get("/api/v1/secrets", () => "all of them")).toThrow(
      /GET \/api\/v1\/secrets does not say who may call it/,
    );
  });

  it("runs the user hook on user routes only, before the route's own hooks", async () => {
    const seen: string[] = [];
    app = Fastify();
    requireDeclaredAccess(app, {
      authenticate: (request) => {
        seen.push(`authenticate ${request.url}`);
        return Promise.resolve();
      },
    });
    const onRequest = (_request: unknown, _reply: unknown, done: () => void) => {
      seen.push("own hook");
      done();
    };
    app.get("/mine", { config: { access: "user" }, onRequest }, () => "mine");
    app.get("/everyone", { config: { access: "public" } }, () => "everyone's");
    await app.inject({ url: "/mine" });
    await app.inject({ url: "/everyone" });
    expect(seen).toEqual(["authenticate /mine", "own hook"]);
  });

  it("documents the security scheme and the 401 of user operations only", () => {
    const schema = { operationId: "x", response: { 200: { description: "ok" } } };
    expect(documentAccess(schema, "public")).toBe(schema);
    expect(documentAccess(schema, "user")).toEqual({
      operationId: "x",
      security: [{ developmentUser: [] }],
      response: { 200: { description: "ok" }, 401: expect.objectContaining({ headers: expect.anything() }) },
    });
  });
});
