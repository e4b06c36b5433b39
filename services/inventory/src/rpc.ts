import type { MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import {
  ReservationStatus,
  type InventoryService,
  type ReservationSchema,
  type StockLevelSchema,
} from "@tessera/contracts/inventory/v1";
import { ServiceError, type ServiceImpl } from "@tessera/kit";
import { available } from "./stock-rules.ts";
import type { StockAdmin } from "./stock-admin.ts";
import type { ListedStatus, Reservation, StockLevel } from "./stock-store.ts";

const toStatus: Record<ListedStatus, ReservationStatus> = {
  HELD: ReservationStatus.HELD,
  RELEASED: ReservationStatus.RELEASED,
  COMMITTED: ReservationStatus.COMMITTED,
  EXPIRED: ReservationStatus.EXPIRED,
};

const fromStatus = new Map<number, ListedStatus>(
  Object.entries(toStatus).map(([status, value]) => [value, status as ListedStatus]),
);

/** gRPC handlers: map protobuf ↔ domain; errors are ServiceErrors from the domain. */
export function inventoryHandlers(admin: StockAdmin): ServiceImpl<typeof InventoryService> {
  return {
    async getStock(request) {
      return { stock: (await admin.stockOf(request.skus)).map(toLevelMessage) };
    },
    async restock(request) {
      const level = await admin.restock({
        sku: request.sku,
        quantity: request.quantity,
        idempotencyKey: request.idempotencyKey,
      });
      return { stock: toLevelMessage(level) };
    },
    async listStock(request) {
      const page = await admin.listStock(request);
      return { stock: page.items.map(toLevelMessage), nextPageToken: page.nextPageToken };
    },
    async listReservations(request) {
      let status: ListedStatus | undefined;
      if (request.status !== ReservationStatus.UNSPECIFIED) {
        status = fromStatus.get(request.status);
        if (!status)
          throw new ServiceError("invalid_argument", `unknown reservation status ${request.status}`);
      }
      const page = await admin.listReservations({ ...request, status });
      return { reservations: page.items.map(toReservationMessage), nextPageToken: page.nextPageToken };
    },
  };
}

function toLevelMessage(level: StockLevel): MessageInitShape<typeof StockLevelSchema> {
  return {
    sku: level.sku,
    onHand: level.onHand,
    reserved: level.reserved,
    available: available(level),
    committed: level.committed,
    received: level.received,
  };
}

function toReservationMessage(
  reservation: Reservation<ListedStatus>,
): MessageInitShape<typeof ReservationSchema> {
  return {
    orderId: reservation.orderId,
    status: toStatus[reservation.status],
    lines: reservation.lines.map((line) => ({ sku: line.sku, quantity: Number(line.quantity) })),
    expireTime: timestampFromDate(reservation.expiresAt),
    updateTime: timestampFromDate(reservation.updatedAt),
  };
}
