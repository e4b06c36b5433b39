import type { MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { PaymentStatus, type PaymentSchema, type PaymentsService } from "@tessera/contracts/payments/v1";
import { declineReasonOf } from "@tessera/contracts/reasons";
import type { ServiceImpl } from "@tessera/kit";
import type { Payment } from "./payment.ts";
import type { PaymentQueries } from "./payment-queries.ts";
import type { Refunds } from "./refunds.ts";

/** gRPC handlers: map protobuf ↔ domain; errors are ServiceErrors from the domain. */
export function paymentsHandlers(
  queries: PaymentQueries,
  refunds: Refunds,
): ServiceImpl<typeof PaymentsService> {
  return {
    async getPayment(request) {
      return { payment: toMessage(await queries.get(request.orderId)) };
    },
    async refundPayment(request, context) {
      return { payment: toMessage(await refunds.refund(request, context.signal)) };
    },
    async getLedger() {
      const ledger = await queries.ledger();
      return {
        accounts: ledger.accounts.map((account) => ({
          name: account.name,
          balance: { currencyCode: account.currency, amountMinor: account.balanceMinor },
        })),
        sumOfEntries: { currencyCode: ledger.currency, amountMinor: ledger.sumOfEntries },
        journalEntries: ledger.journalEntries,
        unbalancedEntries: ledger.unbalancedEntries,
      };
    },
    async listPayments(request) {
      const page = await queries.list(request);
      return { payments: page.payments.map(toMessage), nextPageToken: page.nextPageToken };
    },
  };
}

const statuses = {
  authorized: PaymentStatus.AUTHORIZED,
  declined: PaymentStatus.DECLINED,
  captured: PaymentStatus.CAPTURED,
  voided: PaymentStatus.VOIDED,
  refunded: PaymentStatus.REFUNDED,
} as const satisfies Record<Payment["status"], PaymentStatus>;

function toMessage(payment: Payment): MessageInitShape<typeof PaymentSchema> {
  const money = (amountMinor: bigint) => ({ currencyCode: payment.currency, amountMinor });
  return {
    id: payment.id,
    orderId: payment.orderId,
    userId: payment.userId,
    status: statuses[payment.status],
    amount: money(payment.amountMinor),
    captured: money(payment.capturedMinor),
    refunded: money(payment.refundedMinor),
    processorReference: payment.authorizationId,
    declineReason: payment.declineReason,
    decline: payment.status === "declined" ? declineReasonOf(payment.declineReason) : undefined,
    createTime: timestampFromDate(payment.createdAt),
    updateTime: timestampFromDate(payment.updatedAt),
  };
}
