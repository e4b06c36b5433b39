import type { RunningSystem } from "@tessera/dev-runner";
import type { Reply } from "./api.ts";

// What the system tests ask of a running system: its services' statuses, and its gateway over HTTP.

export interface ProductJson {
  id: string;
  sku: string;
  name: string;
  categories: string[];
  price: { currencyCode: string; amountMinor: number; formatted?: string };
}

export interface ProductPage {
  products: ProductJson[];
  nextPageToken: string;
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  requestId: string;
}

/** What the services inherit: enough to run, and nothing of a developer's own Tessera settings. */
/**
 * A system test is one client sending thousands of requests a minute: the gateway's per-IP and
 * per-user rate limits are raised out of its way (the limits have their own tests in the gateway).
 */
export const unthrottled = { RATE_LIMIT_IP_PER_MINUTE: "1000000", RATE_LIMIT_USER_PER_MINUTE: "1000000" };

export const isolatedEnv: Record<string, string | undefined> = {
  ...Object.fromEntries(["PATH", "HOME", "TMPDIR", "LANG", "TZ"].map((name) => [name, process.env[name]])),
  ...unthrottled,
};

/** Probes of the system `current` returns: undefined while none runs, and they fail saying so. */
export function systemProbes(current: () => RunningSystem | undefined) {
  function status(name: string) {
    const found = current()?.statuses.get(name);
    if (!found) throw new Error(`no status for ${name}; the system is not running`);
    return found;
  }

  /** The gateway's answer, its body parsed when it is JSON. */
  async function request<T = unknown>(path: string, init?: RequestInit): Promise<Reply<T>> {
    const system = current();
    if (!system) throw new Error("the system is not running");
    const response = await fetch(new URL(path, system.gatewayUrl), init);
    const text = await response.text();
    let body: unknown = text;
    if (/json/.test(response.headers.get("content-type") ?? "")) body = JSON.parse(text);
    return { status: response.status, headers: response.headers, body: body as T };
  }

  return { status, request };
}
