import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { runWithContext } from "./context.ts";
import { createLogger } from "./logger.ts";

/** A logger whose lines are parsed back into objects. */
function capture(options: { level?: string } = {}) {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split("\n"))
        if (line) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { log: createLogger({ service: "catalog", destination, ...options }), lines };
}

const traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

describe("createLogger", () => {
  it("writes Elastic Common Schema JSON lines naming the service", () => {
    const { log, lines } = capture();
    log.info({ productId: "p1" }, "product created");
    expect(lines).toHaveLength(1);
    const [line] = lines;
    expect(line).toMatchObject({
      "log.level": "info",
      "service.name": "catalog",
      "ecs.version": expect.any(String) as unknown,
      message: "product created",
      productId: "p1",
    });
    expect(new Date(line?.["@timestamp"] as string).getTime()).toBeGreaterThan(Date.now() - 60_000);
  });

  it("carries no request fields outside a request context", () => {
    const { log, lines } = capture();
    log.info("idle");
    expect(lines[0]).not.toHaveProperty(["http.request.id"]);
    expect(lines[0]).not.toHaveProperty(["trace.id"]);
  });

  it("adds the request id and trace id inside runWithContext", () => {
    const { log, lines } = capture();
    runWithContext({ requestId: "req-1", traceparent }, () => log.warn("slow query"));
    expect(lines[0]).toMatchObject({
      "log.level": "warn",
      "http.request.id": "req-1",
      "trace.id": "0af7651916cd43dd8448eb211c80319c",
      message: "slow query",
    });
  });

  it("adds only the fields the context has", () => {
    const { log, lines } = capture();
    runWithContext({ requestId: "req-2" }, () => log.info("no trace"));
    runWithContext({ traceparent }, () => log.info("no request id"));
    expect(lines[0]?.["http.request.id"]).toBe("req-2");
    expect(lines[0]).not.toHaveProperty(["trace.id"]);
    expect(lines[1]?.["trace.id"]).toBe("0af7651916cd43dd8448eb211c80319c");
    expect(lines[1]).not.toHaveProperty(["http.request.id"]);
  });

  it("writes errors as ECS error fields", () => {
    const { log, lines } = capture();
    log.error({ err: new TypeError("bad input") }, "rpc failed");
    expect(lines[0]).toMatchObject({
      "log.level": "error",
      error: {
        type: "TypeError",
        message: "bad input",
        stack_trace: expect.stringContaining("TypeError") as unknown,
      },
    });
  });

  it("drops lines below its level", () => {
    const { log, lines } = capture({ level: "warn" });
    log.info("chatty");
    log.debug("chattier");
    log.error("broken");
    expect(lines.map((line) => line["log.level"])).toEqual(["error"]);
  });

  it("writes nothing at level silent", () => {
    const { log, lines } = capture({ level: "silent" });
    log.fatal("even this");
    expect(lines).toEqual([]);
  });
});
