import type { BufferedSpan } from "@tessera/kit";
import { describe, expect, it } from "vitest";
import { drawWaterfall } from "./waterfall.ts";

const span = (
  spanId: string,
  parentSpanId: string | undefined,
  service: string,
  name: string,
  startMs: number,
  durationMs: number,
  kind = 1,
): BufferedSpan => ({
  traceId: "4bf92f3577b34da6a3ce929d0e0e4736",
  spanId,
  ...(parentSpanId ? { parentSpanId } : {}),
  service,
  name,
  kind,
  startMs: 1_000 + startMs,
  durationMs,
  status: "unset",
  attributes: {},
});

describe("the waterfall", () => {
  it("draws children under their parent, with start offsets, durations and bars on one time line", () => {
    const drawn = drawWaterfall(
      [
        span("c", "b", "orders", "OrdersService/PlaceOrder", 10, 50),
        span("a", undefined, "gateway", "POST /api/v1/checkout", 0, 100),
        span("d", "c", "inventory", "process tessera.orders.v1.ReserveStock", 60, 40, 4),
        span("b", "a", "gateway", "OrdersService/PlaceOrder", 5, 60, 2),
      ],
      { width: 10 },
    );
    expect(drawn.split("\n")).toEqual([
      "trace 4bf92f3577b34da6a3ce929d0e0e4736: 4 spans, 3 services, 100.0 ms",
      "service    span                                                         start   duration  status",
      "gateway    POST /api/v1/checkout (server)                             0.00 ms   100.0 ms  unset  |██████████|",
      "gateway      OrdersService/PlaceOrder (client)                        5.00 ms    60.0 ms  unset  |██████    |",
      "orders         OrdersService/PlaceOrder (server)                      10.0 ms    50.0 ms  unset  | █████    |",
      "inventory        process tessera.orders.v1.ReserveStock (consumer)    60.0 ms    40.0 ms  unset  |      ████|",
      "",
    ]);
  });

  it("says so when there is nothing to draw", () => {
    expect(drawWaterfall([])).toBe("no spans\n");
  });
});
