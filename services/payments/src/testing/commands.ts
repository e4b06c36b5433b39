// Test support (imported by tests only): saga commands handed to payments, and what it published.
import { create } from "@bufbuild/protobuf";
import {
  AuthorizePaymentSchema,
  CapturePaymentSchema,
  VoidPaymentSchema,
  type AuthorizePayment,
  type CapturePayment,
  type VoidPayment,
} from "@tessera/contracts/orders/v1";
import { publishedAbout, testEnvelope, waitFor } from "@tessera/kit/testing";
import type { SagaCommands } from "../saga-commands.ts";
import type { TestPayments } from "./test-service.ts";

type Command = AuthorizePayment | CapturePayment | VoidPayment;

/**
 * Hands a saga command to the subscription handler in a transaction, as the event bus does, then
 * waits until the processor calls it recorded are made and their outcomes recorded (`settle: false`
 * returns once the command is applied).
 */
export async function deliver(
  payments: TestPayments,
  data: Command,
  { settle = true }: { settle?: boolean } = {},
): Promise<void> {
  const envelope = testEnvelope(data.$typeName, data.orderId, "orders");
  // The union of the three commands is one of the handler's three event shapes; TypeScript cannot see it.
  const event = { envelope, data } as Parameters<SagaCommands["handle"]>[0];
  await payments.service.db.tx((tx) => payments.commands.handle(event, tx));
  if (settle) await settled(payments, data.orderId);
}

/** Waits until no processor call of the order is pending. */
export async function settled(payments: TestPayments, orderId: string): Promise<void> {
  await waitFor(
    `the processor calls of order ${orderId}`,
    async () => (await payments.calls.countPending(orderId)) === 0,
  );
}

export const authorizePayment = (init: {
  orderId: string;
  amountMinor?: bigint;
  cardToken?: string;
  userId?: string;
  currency?: string;
}) =>
  create(AuthorizePaymentSchema, {
    orderId: init.orderId,
    userId: init.userId ?? "user-1",
    amount: { currencyCode: init.currency ?? "USD", amountMinor: init.amountMinor ?? 4_500n },
    cardToken: init.cardToken ?? "tok_visa_approve",
  });

export const capturePayment = (orderId: string) => create(CapturePaymentSchema, { orderId });
export const voidPayment = (orderId: string) =>
  create(VoidPaymentSchema, { orderId, reason: "saga compensation" });

/** The events payments published about an order, oldest first. */
export function publishedEvents(payments: TestPayments, orderId: string) {
  return publishedAbout(payments.service.db, orderId);
}
