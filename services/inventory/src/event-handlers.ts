import { ProductChangedSchema } from "@tessera/contracts/catalog/v1";
import { durationMs } from "@bufbuild/protobuf/wkt";
import {
  CommitStockSchema,
  ReleaseStockSchema,
  ReserveStockSchema,
  type ReserveStock,
} from "@tessera/contracts/orders/v1";
import type { EventHandler } from "@tessera/kit";
import type { Reservations } from "./reservations.ts";
import type { StockAdmin } from "./stock-admin.ts";

/** The saga's commands to the inventory, published by the orders service. */
export const sagaCommands = [ReserveStockSchema, ReleaseStockSchema, CommitStockSchema] as const;

/** The catalog's product changes; a created product gets its initial stock. */
export const catalogProducts = [ProductChangedSchema] as const;

/** Applies one saga command; it runs once per event, in the transaction that records it in the inbox. */
export function sagaCommandHandler(reservations: Reservations): EventHandler<typeof sagaCommands> {
  return async ({ data }, tx) => {
    switch (data.$typeName) {
      case "tessera.orders.v1.ReserveStock":
        await reservations.reserve(tx, {
          orderId: data.orderId,
          lines: data.lines,
          expireAfterSeconds: holdSeconds(data),
        });
        return;
      case "tessera.orders.v1.ReleaseStock":
        await reservations.release(tx, data.orderId, data.reason);
        return;
      case "tessera.orders.v1.CommitStock":
        await reservations.commit(tx, data.orderId);
        return;
    }
  };
}

/**
 * The hold a ReserveStock asks for, in whole seconds (0: the default): its `expire_after`, rounded
 * up, or — in a command written before that field existed — the deprecated `expire_after_seconds`.
 */
export function holdSeconds(command: Pick<ReserveStock, "expireAfter" | "expireAfterSeconds">): number {
  if (command.expireAfter) return Math.ceil(durationMs(command.expireAfter) / 1000);
  return command.expireAfterSeconds;
}

/** Seeds the stock of products the catalog creates; price changes leave stock alone. */
export function productChangedHandler(admin: StockAdmin): EventHandler<typeof catalogProducts> {
  return async ({ data }, tx) => {
    if (data.created) await admin.seed(tx, data.sku);
  };
}
