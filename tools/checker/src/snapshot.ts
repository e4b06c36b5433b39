import { durationMs, timestampDate } from "@bufbuild/protobuf/wkt";
import { EventsService } from "@tessera/contracts/events/v1";
import { InventoryService, ReservationStatus } from "@tessera/contracts/inventory/v1";
import { OrdersService, OrderStatus } from "@tessera/contracts/orders/v1";
import { PaymentsService, PaymentStatus } from "@tessera/contracts/payments/v1";
import { createClient, listAll, type ClientOptions, type TokenSource } from "@tessera/kit";
import type {
  OrderSnapshot,
  OrderState,
  OutboxSnapshot,
  PaymentSnapshot,
  ReservationSnapshot,
  Snapshot,
} from "./invariants.ts";

export interface Addresses {
  orders: string;
  inventory: string;
  payments: string;
}

const orderStates: Record<number, OrderState> = {
  [OrderStatus.PENDING]: "pending",
  [OrderStatus.STOCK_RESERVED]: "stock_reserved",
  [OrderStatus.PAYMENT_AUTHORIZED]: "payment_authorized",
  [OrderStatus.CONFIRMED]: "confirmed",
  [OrderStatus.REJECTED]: "rejected",
  [OrderStatus.CANCELLED]: "cancelled",
};
const reservationStates: Record<number, ReservationSnapshot["status"]> = {
  [ReservationStatus.HELD]: "held",
  [ReservationStatus.RELEASED]: "released",
  [ReservationStatus.COMMITTED]: "committed",
  [ReservationStatus.EXPIRED]: "expired",
};
const paymentStates: Record<number, PaymentSnapshot["status"]> = {
  [PaymentStatus.AUTHORIZED]: "authorized",
  [PaymentStatus.DECLINED]: "declined",
  [PaymentStatus.CAPTURED]: "captured",
  [PaymentStatus.VOIDED]: "voided",
  [PaymentStatus.REFUNDED]: "refunded",
};

function known<T>(table: Record<number, T>, value: number, what: string): T {
  const mapped = table[value];
  if (mapped === undefined) throw new Error(`unknown ${what} ${value}`);
  return mapped;
}

/** Reads every service's state through its admin RPCs (never another service's tables). */
export async function takeSnapshot(
  addresses: Addresses,
  { timeoutMs = 10_000, credentials }: { timeoutMs?: number; credentials?: TokenSource } = {},
): Promise<Snapshot> {
  const options = { deadlineMs: timeoutMs, credentials };
  const orders = createClient(OrdersService, addresses.orders, options);
  const inventory = createClient(InventoryService, addresses.inventory, options);
  const payments = createClient(PaymentsService, addresses.payments, options);
  try {
    const takenAt = new Date();
    const orderList = await listAll(
      (page) => orders.listOrders(page),
      (response) => response.orders,
    );
    const allOrders: OrderSnapshot[] = orderList.map((o) => ({
      id: o.id,
      status: known(orderStates, o.status, "order status"),
      lines: o.lines.map((l) => ({ sku: l.sku, quantity: l.quantity })),
      totalMinor: o.total?.amountMinor ?? 0n,
      updatedAt: o.updateTime ? timestampDate(o.updateTime) : takenAt,
    }));
    const [stock, reservations, paymentList, ledger, outboxes] = await Promise.all([
      // Every page: the checker must see every row.
      listAll(
        (page) => inventory.listStock(page),
        (response) => response.stock,
      ),
      listAll(
        (page) => inventory.listReservations(page),
        (response) => response.reservations,
      ),
      listAll(
        (page) => payments.listPayments(page),
        (response) => response.payments,
      ),
      payments.getLedger({}),
      readOutboxes(addresses, options),
    ]);
    return {
      takenAt,
      orders: allOrders,
      stock: stock.map((s) => ({
        sku: s.sku,
        onHand: s.onHand,
        reserved: s.reserved,
        committed: s.committed,
        received: s.received,
      })),
      reservations: reservations.map((r) => ({
        orderId: r.orderId,
        status: known(reservationStates, r.status, "reservation status"),
        lines: r.lines.map((l) => ({ sku: l.sku, quantity: l.quantity })),
      })),
      payments: paymentList.map((p) => ({
        id: p.id,
        orderId: p.orderId,
        status: known(paymentStates, p.status, "payment status"),
        amountMinor: p.amount?.amountMinor ?? 0n,
        capturedMinor: p.captured?.amountMinor ?? 0n,
        refundedMinor: p.refunded?.amountMinor ?? 0n,
      })),
      ledger: {
        sumOfEntries: ledger.sumOfEntries?.amountMinor ?? 0n,
        journalEntries: ledger.journalEntries,
        unbalancedEntries: ledger.unbalancedEntries,
      },
      outboxes,
    };
  } finally {
    orders.close();
    inventory.close();
    payments.close();
  }
}

/** The outbox of every saga service, through the EventsService each serves. */
async function readOutboxes(addresses: Addresses, options: ClientOptions): Promise<OutboxSnapshot[]> {
  const read = async ([service, address]: [string, string]): Promise<OutboxSnapshot> => {
    const client = createClient(EventsService, address, options);
    try {
      const status = await client.getOutboxStatus({});
      const ms = (duration: Parameters<typeof durationMs>[0] | undefined) =>
        duration ? durationMs(duration) : 0;
      return {
        service,
        transport: status.transport,
        undelivered: status.undelivered,
        oldestUndeliveredAgeMs: ms(status.oldestUndeliveredAge),
        problems: status.problems.map((p) => ({
          component: p.component,
          failingForMs: ms(p.failingFor),
          error: p.error,
        })),
        consumers: status.consumers.map((c) => ({
          consumer: c.consumer,
          unacknowledged: c.unacknowledged,
          oldestUnacknowledgedAgeMs: ms(c.oldestUnacknowledgedAge),
        })),
      };
    } finally {
      client.close();
    }
  };
  const services: [string, string][] = [
    ["orders", addresses.orders],
    ["inventory", addresses.inventory],
    ["payments", addresses.payments],
  ];
  return Promise.all(services.map(read));
}
