/** A confidential client of the client-credentials grant: a service or a tool. */
export interface ServiceClient {
  id: string;
  secret: string;
}

/** What a token says its bearer may do: `roles` in every access token. */
export type Role = "customer" | "admin" | "service";

/** The tools that check and load the whole system act as administrators too. */
const TOOL_CLIENTS = new Set(["tessera-checker", "tessera-bench"]);
const SERVICE_CLIENT_ID = /^svc-[a-z][a-z0-9-]{0,40}$/;
// Secrets are compared by whoever holds them against what they type: long and random, nothing else.
const SECRET = /^[\x21-\x7e]{24,256}$/;

/** The roles of a client-credentials token for `clientId`. */
export function serviceClientRoles(clientId: string): Role[] {
  return TOOL_CLIENTS.has(clientId) ? ["service", "admin"] : ["service"];
}

/**
 * Reads `IDENTITY_SERVICE_CLIENTS`: JSON (`{"svc-orders":"…"}`) or `svc-orders:…,tessera-checker:…`.
 * Returns the clients, or what is wrong (never quoting a secret).
 *
 * @example
 *   parseServiceClients("svc-orders:0123456789abcdef0123456789abcdef") // [{ id: "svc-orders", secret: "0123…" }]
 */
export function parseServiceClients(text: string): ServiceClient[] | string {
  let entries: [string, unknown][];
  if (text.trim().startsWith("{")) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return "is not valid JSON";
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
      return 'must be a JSON object of client id to secret: {"svc-orders":"…"}';
    }
    entries = Object.entries(parsed);
  } else {
    entries = text
      .split(",")
      .map((item) => item.trim())
      .filter((item) => item !== "")
      .map((item) => {
        const colon = item.indexOf(":");
        return colon < 0 ? [item, undefined] : [item.slice(0, colon), item.slice(colon + 1)];
      });
  }
  const clients: ServiceClient[] = [];
  for (const [index, [id, secret]] of entries.entries()) {
    // Not quoted: a mistyped entry may well be a secret.
    if (!SERVICE_CLIENT_ID.test(id) && !TOOL_CLIENTS.has(id)) {
      return `entry ${index + 1} is not svc-<service>, tessera-checker or tessera-bench followed by its secret`;
    }
    if (typeof secret !== "string" || !SECRET.test(secret)) {
      return `has a bad secret for ${id}: 24 to 256 printable ASCII characters, no spaces`;
    }
    if (clients.some((client) => client.id === id)) return `names ${id} twice`;
    clients.push({ id, secret });
  }
  return clients;
}
