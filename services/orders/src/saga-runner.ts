import { outboxMessage, type Db, type Metrics, type Service, type Tx } from "@tessera/kit";
import type { Order } from "./order.ts";
import { createOrderMetrics, type OrderMetrics } from "./order-metrics.ts";
import type { OrderStore } from "./order-store.ts";
import { begin, decide, type Decision, type NewOrder, type SagaInput, type SagaSettings } from "./saga.ts";
import { sagaMessageSchemas } from "./saga-messages.ts";

type PublishAll = Service<unknown>["publishAll"];

export interface SagaRunnerOptions {
  store: OrderStore;
  publishAll: PublishAll;
  stepTimeoutMs: number;
  /** The clock; injectable so tests can move time. */
  now?: () => Date;
  /** Where `saga_transitions_total{from,to,input}` is counted; none in tests that do not look. */
  metrics?: Pick<Metrics, "counter" | "histogram">;
  /** Told the id of an order this runner changed in a transaction of its own, once that committed. */
  changed?: (orderId: string) => void;
}

type Transitions = ReturnType<Metrics["counter"]>;

/**
 * The saga's I/O edge: runs `decide` on a locked order and commits its outcome — the new row and
 * every command and event in the outbox — in the caller's transaction, so a transition happens
 * entirely or not at all.
 */
export class SagaRunner {
  readonly #store: OrderStore;
  readonly #publishAll: PublishAll;
  readonly #stepTimeoutMs: number;
  readonly #now: () => Date;
  readonly #transitions: Transitions | undefined;
  readonly #orderMetrics: OrderMetrics | undefined;
  readonly #changed: ((orderId: string) => void) | undefined;

  constructor({
    store,
    publishAll,
    stepTimeoutMs,
    now = () => new Date(),
    metrics,
    changed,
  }: SagaRunnerOptions) {
    this.#changed = changed;
    this.#store = store;
    this.#publishAll = publishAll;
    this.#stepTimeoutMs = stepTimeoutMs;
    this.#now = now;
    this.#transitions = metrics?.counter(
      "saga_transitions_total",
      "Checkout saga transitions, by the status left, the status reached and what caused it.",
      ["from", "to", "input"],
    );
    this.#orderMetrics = metrics && createOrderMetrics(metrics);
  }

  /** Inserts a PENDING order with OrderPlaced and ReserveStock; undefined when its cart was ordered already. */
  async start(tx: Tx, placed: NewOrder, idempotencyKey: string): Promise<Order | undefined> {
    const decision = begin(placed, this.#settings());
    const order = await this.#store.insert(tx, decision.order, idempotencyKey);
    if (order) {
      await this.#publishDecision(tx, order.id, decision);
      this.#transitions?.inc({ from: "", to: order.status.toLowerCase(), input: "PlaceOrder" });
      this.#orderMetrics?.placed(order);
    }
    return order;
  }

  /** Applies `input` to an order locked in `tx`; returns the order as it is afterwards. */
  async apply(tx: Tx, order: Order, input: SagaInput): Promise<Order> {
    const decision = decide(order, input, this.#settings());
    if (decision.order === order) return order;
    const saved = await this.#store.save(tx, decision.order);
    await this.#publishDecision(tx, order.id, decision);
    if (saved.status !== order.status) {
      this.#transitions?.inc({
        from: order.status.toLowerCase(),
        to: saved.status.toLowerCase(),
        input: input.type,
      });
      this.#orderMetrics?.moved(order, saved, this.#now());
    }
    return saved;
  }

  /** Locks the order and applies `input`; undefined when there is no such order. */
  async advance(tx: Tx, orderId: string, input: SagaInput): Promise<Order | undefined> {
    const order = await this.#store.lock(tx, orderId);
    return order && this.apply(tx, order, input);
  }

  /**
   * Times out the most overdue order, in a transaction of its own; undefined when none is overdue.
   * Orders another sweeper holds are skipped, so each is handled once.
   */
  async timeOutNext(db: Db): Promise<Order | undefined> {
    const order = await db.tx(async (tx) => {
      const overdue = await this.#store.lockNextOverdue(tx, this.#now());
      return overdue && this.apply(tx, overdue, { type: "Timeout" });
    });
    if (order) this.#changed?.(order.id);
    return order;
  }

  #settings(): SagaSettings {
    return { now: this.#now(), stepTimeoutMs: this.#stepTimeoutMs };
  }

  /** Every event and command of a decision, in that order, in one outbox insert. */
  async #publishDecision(tx: Tx, orderId: string, { events, commands }: Decision): Promise<void> {
    const messages = [...events, ...commands].map((message) =>
      outboxMessage(sagaMessageSchemas[message.type], message.data, orderId),
    );
    await this.#publishAll(tx, messages);
  }
}
