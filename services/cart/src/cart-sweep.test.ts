import { newId } from "@tessera/kit";
import { waitFor } from "@tessera/kit/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestCart, type TestCart } from "./testing/test-service.ts";

describe("the expired-carts sweep (PostgreSQL store)", () => {
  let cart: TestCart;

  beforeAll(async () => {
    cart = await startTestCart({ CART_CLEANUP_INTERVAL_MS: "1000" });
  });
  afterAll(() => cart?.stop());

  it("deletes expired carts in the background, every CART_CLEANUP_INTERVAL_MS, and counts its runs", async () => {
    const { db } = cart.service;
    const [stale, fresh] = [newId(), newId()];
    await db.query(
      "INSERT INTO carts (user_id, id, updated_at) VALUES ($1, gen_random_uuid(), now() - interval '31 days'), ($2, gen_random_uuid(), now())",
      [stale, fresh],
    );
    const carts = async () =>
      (
        await db.query<{ user_id: string }>("SELECT user_id FROM carts WHERE user_id = ANY($1)", [
          [stale, fresh],
        ])
      ).rows;
    await waitFor("the expired cart deleted", async () => (await carts()).length === 1);
    expect(await carts()).toEqual([{ user_id: fresh }]);
    const runs = await cart.service.metrics.registry.getSingleMetric("periodic_job_runs_total")?.get();
    expect(runs?.values).toContainEqual(
      expect.objectContaining({ labels: { job: "expired-carts-sweep", outcome: "ok" } }),
    );
  });
});
