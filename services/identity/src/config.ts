import { port, RpcServiceConfig, z } from "@tessera/kit";
import { emailProblem, passwordProblem } from "./account-input.ts";
import { parseServiceClients } from "./service-clients.ts";

/** An http(s) URL with neither query nor fragment: what an issuer or a redirect URI may be. */
const plainUrl = z
  .url({ protocol: /^https?$/, error: "must be an http:// or https:// URL" })
  .refine((value) => !/[?#]/.test(value), "must have no query or fragment");

const urlList = z
  .string()
  .transform((value) => value.split(",").map((item) => item.trim()))
  .refine((urls) => urls.every((url) => plainUrl.safeParse(url).success), "must be comma-separated URLs");

export const IdentityConfig = RpcServiceConfig.extend({
  GRPC_PORT: port(50050),
  /** The OIDC provider's own HTTP server; the gateway proxies `/oidc/*` to it. */
  IDENTITY_HOST: z.string().default("127.0.0.1"),
  IDENTITY_PORT: port(8090),
  /**
   * The issuer: the gateway's public origin and `/oidc`. Tokens carry it as `iss`; the provider is
   * served under its path on this service's port too.
   */
  IDENTITY_ISSUER: plainUrl.transform((url) => url.replace(/\/$/, "")).default("http://127.0.0.1:8080/oidc"),
  /** The resource indicator of the Tessera API, and the `aud` of every access token. */
  IDENTITY_API_AUDIENCE: z.string().min(1).max(200).default("urn:tessera:api"),
  /** Where tessera-web may receive codes; `<issuer origin>/callback` when unset. */
  IDENTITY_WEB_REDIRECT_URIS: urlList.optional(),
  /** Where tessera-web may send a user after signing out; `<issuer origin>/` when unset. */
  IDENTITY_WEB_POST_LOGOUT_REDIRECT_URIS: urlList.optional(),
  /** Confidential clients of the client-credentials grant: JSON `{"id":"secret"}` or `id:secret,id:secret`. */
  IDENTITY_SERVICE_CLIENTS: z
    .string()
    .transform((value, context) => {
      const parsed = parseServiceClients(value);
      if (typeof parsed === "string") {
        context.addIssue({ code: "custom", message: parsed });
        return z.NEVER;
      }
      return parsed;
    })
    .default([]),
  IDENTITY_ADMIN_EMAIL: z
    .string()
    .refine((email) => emailProblem(email) === undefined, "must be an e-mail address")
    .default("admin@tessera.local"),
  /** Required outside embedded mode (where the dev runner generates it). */
  IDENTITY_ADMIN_PASSWORD: z
    .string()
    .refine(
      (password) => passwordProblem(password, { choosing: true }) === undefined,
      "must be 12 to 256 characters without control characters",
    )
    .optional(),
  /** A new signing key takes over once the newest is this many days old. */
  IDENTITY_KEY_ROTATION_DAYS: z.coerce.number().positive().max(3_650).default(30),
  /** How often the signing keys are checked: rotation due, a key rotated elsewhere, old keys to drop. */
  IDENTITY_KEY_CHECK_INTERVAL_MS: z.coerce.number().int().min(10).max(3_600_000).default(60_000),
  /** How often expired sessions, codes, tokens and old failed sign-ins are deleted. */
  IDENTITY_PRUNE_INTERVAL_MS: z.coerce.number().int().min(10).max(86_400_000).default(300_000),
}).superRefine((config, context) => {
  if (config.TESSERA_MODE !== "embedded" && config.IDENTITY_ADMIN_PASSWORD === undefined) {
    context.addIssue({
      code: "custom",
      path: ["IDENTITY_ADMIN_PASSWORD"],
      message: "is required outside embedded mode",
    });
  }
});

export type IdentitySettings = z.infer<typeof IdentityConfig>;
