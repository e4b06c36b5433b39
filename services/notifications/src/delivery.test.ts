import { create } from "@bufbuild/protobuf";
import {
  OrderCancelledSchema,
  OrderConfirmedSchema,
  OrderRejectedSchema,
} from "@tessera/contracts/orders/v1";
import { createDb, newId, type EventEnvelope } from "@tessera/kit";
import { createServer, type AddressInfo, type Socket } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMailer } from "./mailer.ts";
import { composeMessage } from "./messages.ts";
import { recordOrderOutcome } from "./order-outcomes.ts";
import { startTestNotifications, type TestNotifications } from "./testing/test-service.ts";
import { SmtpSink } from "./testing/smtp-sink.ts";
import { startTestProducer, type TestProducer, waitFor } from "@tessera/kit/testing";

interface Row {
  id: string;
  user_id: string;
  kind: string;
  subject: string;
  body: string;
  emailed: boolean;
  mail_attempts: number;
  last_mail_error: string | null;
}

describe("notifications of order outcomes, e-mailed through a real SMTP server", () => {
  let sink: SmtpSink;
  let orders: TestProducer;
  let app: TestNotifications;

  beforeAll(async () => {
    sink = await SmtpSink.start();
    orders = await startTestProducer("orders");
    app = await startTestNotifications({
      ORDERS_ADDR: orders.address,
      SMTP_URL: sink.url,
      NOTIFICATIONS_EMAIL_DOMAIN: "shop.test",
      NOTIFICATIONS_MAIL_INTERVAL_MS: "50",
      EVENTS_RETRY_BASE_MS: "10",
    });
  });

  afterAll(async () => {
    await app?.stop();
    await orders?.stop();
    await sink?.close();
  });

  const rowsOf = async (orderId: string) =>
    (await app.service.db.query<Row>("SELECT * FROM notifications WHERE order_id = $1", [orderId])).rows;
  const mailsOf = (orderId: string) => sink.received.filter((mail) => mail.subject.includes(orderId));
  const applied = (envelope: EventEnvelope) =>
    waitFor(`event ${envelope.id} applied`, async () => {
      const { rowCount } = await app.service.db.query("SELECT 1 FROM inbox WHERE event_id = $1", [
        envelope.id,
      ]);
      return rowCount === 1;
    });

  it("stores one message and sends one e-mail when orders publishes the same confirmation twice", async () => {
    const orderId = newId();
    const userId = newId();
    const confirmed = { orderId, userId, total: { currencyCode: "USD", amountMinor: 123456n } };
    const first = await orders.publish(OrderConfirmedSchema, confirmed, orderId);
    const second = await orders.publish(OrderConfirmedSchema, confirmed, orderId);
    await applied(first);
    await applied(second);

    const [row, ...others] = await rowsOf(orderId);
    expect(others).toEqual([]);
    expect(row).toMatchObject({ user_id: userId, kind: "order_confirmed" });
    expect(row?.body).toContain("$1,234.56");
    await waitFor("the e-mail", () => Promise.resolve(mailsOf(orderId).length > 0));
    await waitFor("the mark", async () => (await rowsOf(orderId))[0]?.emailed);
    expect(await app.mailer?.sendDue()).toBe(0);
    await sleep(200); // a few more mailer passes

    const mails = mailsOf(orderId);
    expect(mails).toHaveLength(1);
    const mail = mails[0]!;
    expect(mail.rcptTo).toEqual([`${userId}@shop.test`]);
    expect(mail.mailFrom).toBe("orders@tessera.local");
    expect(mail.headers.get("from")).toBe("Tessera <orders@tessera.local>");
    expect(mail.headers.get("to")).toBe(`${userId}@shop.test`);
    expect(mail.headers.get("message-id")).toBe(`<${row?.id}@notifications.tessera>`);
    expect(mail.subject).toBe(`Your order ${orderId} is confirmed`);
    expect(mail.text).toBe(row?.body);
  });

  it("stores one message when the handler runs twice for the same event", async () => {
    const orderId = newId();
    const data = create(OrderRejectedSchema, { orderId, userId: newId(), reason: "out of stock" });
    const envelope: EventEnvelope = {
      id: newId(),
      type: OrderRejectedSchema.typeName,
      source: "orders",
      subject: orderId,
      time: new Date(),
      datacontenttype: "application/json",
      schemaVersion: 1,
      data: {},
      traceparent: "",
      position: 0n,
    };
    const handler = recordOrderOutcome(app.store);
    // Straight to the handler, past the inbox: the unique (order_id, kind) alone keeps it once.
    await app.service.db.tx((tx) => handler({ envelope, data }, tx));
    await app.service.db.tx((tx) => handler({ envelope: { ...envelope, id: newId() }, data }, tx));

    const rows = await rowsOf(orderId);
    expect(rows).toHaveLength(1);
    expect(rows[0]?.subject).toBe(`Your order ${orderId} was not accepted`);
    expect(rows[0]?.body).toContain("Reason: out of stock");
    await waitFor("the e-mail", () => Promise.resolve(mailsOf(orderId).length === 1));
  });

  it("keeps a message pending while the SMTP server is down and sends it once it is back", async () => {
    await sink.close();
    const orderId = newId();
    const userId = newId();
    await orders.publish(OrderCancelledSchema, { orderId, userId, reason: "payment timed out" }, orderId);

    const pending = await waitFor("failed sends", async () => {
      const row = (await rowsOf(orderId))[0];
      return row && row.mail_attempts >= 2 ? row : undefined;
    });
    expect(pending.emailed).toBe(false);
    expect(pending.last_mail_error).toMatch(/ECONNREFUSED|ESOCKET|ECONNECTION/);
    expect(mailsOf(orderId)).toEqual([]);

    await sink.listen();
    await waitFor("the e-mail", () => Promise.resolve(mailsOf(orderId).length > 0));
    await waitFor("the mark", async () => (await rowsOf(orderId))[0]?.emailed);
    await sleep(200);
    const mails = mailsOf(orderId);
    expect(mails).toHaveLength(1);
    expect(mails[0]?.rcptTo).toEqual([`${userId}@shop.test`]);
    expect(mails[0]?.subject).toBe(`Your order ${orderId} was cancelled`);
    expect(mails[0]?.text).toContain("Reason: payment timed out");
    expect((await rowsOf(orderId))[0]?.last_mail_error).toBeNull();
  });

  it("sends each message once when several mailers (replicas) run at the same time", async () => {
    const orderIds = Array.from({ length: 12 }, () => newId());
    await app.service.db.tx(async (tx) => {
      for (const orderId of orderIds) {
        const message = composeMessage({ kind: "order_cancelled", orderId, userId: newId(), reason: "" });
        await app.store.insert(tx, message);
      }
    });
    const replicas = [1, 2].map(() =>
      createMailer({
        db: app.service.db,
        store: app.store,
        log: app.service.log,
        smtpUrl: sink.url,
        from: "Tessera <orders@tessera.local>",
        emailDomain: "shop.test",
        intervalMs: 50,
      }),
    );
    // Alongside the service's own mailer job.
    await Promise.all(replicas.map((mailer) => mailer.sendDue()));
    replicas.forEach((mailer) => mailer.close());
    await waitFor("every e-mail", () => Promise.resolve(orderIds.every((id) => mailsOf(id).length > 0)));
    await sleep(200);
    for (const orderId of orderIds) expect(mailsOf(orderId)).toHaveLength(1);
  });

  it("dead-letters an event that names no user, storing nothing", async () => {
    const orderId = newId();
    const event = await orders.publish(OrderRejectedSchema, { orderId, userId: "", reason: "x" }, orderId);
    const { error } = await waitFor("the dead letter", async () => {
      const { rows } = await app.service.db.query<{ error: string }>(
        "SELECT error FROM dead_letters WHERE event_id = $1",
        [event.id],
      );
      return rows[0];
    });
    expect(error).toBe("user_id is missing or malformed");
    expect(await rowsOf(orderId)).toEqual([]);
  });
});

describe("stopping the notifications service while an e-mail is being sent", () => {
  // An SMTP server that accepts connections and never greets: a send to it hangs for its 5 s greeting timeout.
  const sockets: Socket[] = [];
  const silent = createServer((socket) => sockets.push(socket));
  // A producer of its own: one shared with other tests would replay their outcomes into messages to send.
  let orders: TestProducer;

  beforeAll(async () => {
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    orders = await startTestProducer("orders");
  });

  afterAll(async () => {
    await orders?.stop();
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => silent.close(resolve));
  });

  it("aborts the send in flight, leaving the message for a later run", async () => {
    const app = await startTestNotifications({
      ORDERS_ADDR: orders.address,
      SMTP_URL: `smtp://127.0.0.1:${(silent.address() as AddressInfo).port}`,
      NOTIFICATIONS_MAIL_INTERVAL_MS: "50",
    });
    const db = createDb({ connectionString: app.database.url });
    try {
      const orderId = newId();
      const message = composeMessage({ kind: "order_cancelled", orderId, userId: newId(), reason: "" });
      await app.service.db.tx((tx) => app.store.insert(tx, message));
      await waitFor("the send in flight", () => Promise.resolve(sockets.length > 0));
      await app.service.stop();
      const { rows } = await db.query<Row>("SELECT * FROM notifications");
      expect(rows).toEqual([
        expect.objectContaining({
          order_id: orderId,
          emailed: false,
          mail_attempts: 1,
          last_mail_error: expect.stringMatching(/^EABORT/),
        }),
      ]);
    } finally {
      await db.close();
      await app.stop();
    }
  });
});
