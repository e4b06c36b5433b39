import { getOption } from "@bufbuild/protobuf";
import type { DescService } from "@bufbuild/protobuf";
import { CartService } from "@tessera/contracts/cart/v1";
import { CatalogService } from "@tessera/contracts/catalog/v1";
import { EventsService } from "@tessera/contracts/events/v1";
import { InventoryService } from "@tessera/contracts/inventory/v1";
import { NotificationsService } from "@tessera/contracts/notifications/v1";
import { access, type Access } from "@tessera/contracts/options/v1";
import { OrdersService } from "@tessera/contracts/orders/v1";
import { PaymentsService } from "@tessera/contracts/payments/v1";
import { createHmac, generateKeyPairSync, sign } from "node:crypto";

// The security corpus: the cases as data, run by security.test.ts against one real system.

/** Every gRPC service of the system's contracts (the testing probes are not served by the system). */
export const contractServices: DescService[] = [
  CartService,
  CatalogService,
  EventsService,
  InventoryService,
  NotificationsService,
  OrdersService,
  PaymentsService,
];

export interface RpcCase {
  /** `catalog CreateProduct`, for messages. */
  name: string;
  /** The gRPC path, `/tessera.catalog.v1.CatalogService/CreateProduct`. */
  path: string;
  access: Access;
  streaming: boolean;
  /** A read (Get…/List…), which the operator may call without changing anything. */
  read: boolean;
}

/** The methods of `service` whose access option is one of `wanted`, read from the descriptors. */
export function restrictedMethods(service: DescService, wanted: Access[]): Omit<RpcCase, "name">[] {
  return service.methods
    .filter((method) => wanted.includes(getOption(method, access)))
    .map((method) => ({
      path: `/${service.typeName}/${method.name}`,
      access: getOption(method, access),
      streaming: method.methodKind === "server_streaming",
      read: /^(Get|List)/.test(method.name),
    }));
}

// --- Tokens the gateway must refuse -----------------------------------------------------------

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

export function decodeJwt(token: string): {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
} {
  const [header, payload] = token.split(".");
  return {
    header: JSON.parse(Buffer.from(header!, "base64url").toString()) as Record<string, unknown>,
    payload: JSON.parse(Buffer.from(payload!, "base64url").toString()) as Record<string, unknown>,
  };
}

/** A key of our own: not in identity's JWKS. */
const attacker = generateKeyPairSync("ec", { namedCurve: "P-256" });

function es256(header: Record<string, unknown>, payload: Record<string, unknown>): string {
  const input = `${b64(header)}.${b64(payload)}`;
  const signature = sign("sha256", Buffer.from(input), {
    key: attacker.privateKey,
    dsaEncoding: "ieee-p1363",
  });
  return `${input}.${signature.toString("base64url")}`;
}

/** Changes a few characters well inside the signature (the last one may hold only padding bits). */
function tamperSignature(token: string): string {
  const chars = [...token];
  for (let i = chars.length - 8; i < chars.length - 2; i++) chars[i] = chars[i] === "A" ? "B" : "A";
  return chars.join("");
}

export interface Material {
  /** A real access token of a customer, from identity. */
  access: string;
  /** The same sign-in's refresh token and ID token. */
  refresh: string | undefined;
  idToken: string | undefined;
  /** Identity's JWKS as served through the gateway. */
  jwks: { keys: Record<string, unknown>[] };
}

export interface TokenCase {
  name: string;
  /** The Authorization header value, or none. */
  authorization: (material: Material) => string | undefined;
  /** Why it is skipped, when the material lacks what it needs. */
  skip?: (material: Material) => string | undefined;
}

const now = () => Math.floor(Date.now() / 1000);

// Tokens signed by our own key fail the signature check, which comes first: the wrong-audience,
// wrong-issuer and expired cases show the gateway refuses them, not which claim check would.
// The ID token case is the one real, identity-signed token whose claims are wrong (typ, aud).
export const tokenCases: TokenCase[] = [
  { name: "no token", authorization: () => undefined },
  { name: "a garbage string", authorization: () => "Bearer not-a-jwt" },
  {
    name: "a forged signature (real token, signature changed)",
    authorization: (m) => `Bearer ${tamperSignature(m.access)}`,
  },
  {
    name: "alg none",
    authorization: (m) => {
      const { header, payload } = decodeJwt(m.access);
      return `Bearer ${b64({ ...header, alg: "none" })}.${b64(payload)}.`;
    },
  },
  {
    name: "HS256 signed with the public JWK as the secret",
    authorization: (m) => {
      const { header, payload } = decodeJwt(m.access);
      const key = m.jwks.keys.find((k) => k["kid"] === header["kid"]) ?? m.jwks.keys[0];
      const input = `${b64({ ...header, alg: "HS256" })}.${b64(payload)}`;
      const mac = createHmac("sha256", JSON.stringify(key)).update(input).digest("base64url");
      return `Bearer ${input}.${mac}`;
    },
  },
  {
    name: "an unknown kid (a key not in the JWKS)",
    authorization: (m) => {
      const { header, payload } = decodeJwt(m.access);
      return `Bearer ${es256({ ...header, kid: "not-in-the-jwks" }, payload)}`;
    },
  },
  {
    name: "a wrong audience (re-signed)",
    authorization: (m) => {
      const { header, payload } = decodeJwt(m.access);
      return `Bearer ${es256(header, { ...payload, aud: "urn:someone:else" })}`;
    },
  },
  {
    name: "a wrong issuer (re-signed)",
    authorization: (m) => {
      const { header, payload } = decodeJwt(m.access);
      return `Bearer ${es256(header, { ...payload, iss: "https://evil.example/oidc" })}`;
    },
  },
  {
    name: "an expired token (re-signed)",
    authorization: (m) => {
      const { header, payload } = decodeJwt(m.access);
      return `Bearer ${es256(header, { ...payload, iat: now() - 3600, exp: now() - 1800 })}`;
    },
  },
  {
    name: "an ID token (identity-signed, not an access token)",
    authorization: (m) => (m.idToken ? `Bearer ${m.idToken}` : undefined),
    skip: (m) => (m.idToken ? undefined : "the sign-in returned no ID token"),
  },
  {
    name: "a refresh token used as an access token",
    authorization: (m) => (m.refresh ? `Bearer ${m.refresh}` : undefined),
    skip: (m) => (m.refresh ? undefined : "the sign-in returned no refresh token"),
  },
];
