import type { Logger } from "@tessera/kit";
import Provider, { errors, type AdapterFactory, type KoaContextWithOIDC } from "oidc-provider";
import type { Accounts } from "./accounts.ts";
import { clientMetadata } from "./clients.ts";
import type { IdentitySettings } from "./config.ts";
import { PAGE_SECURITY_HEADERS } from "./html.ts";
import {
  ACCESS_TOKEN_TTL_S,
  AUTHORIZATION_CODE_TTL_S,
  ID_TOKEN_TTL_S,
  INTERACTION_TTL_S,
  SESSION_TTL_S,
} from "./lifetimes.ts";
import { logProviderEvents } from "./provider-log.ts";
import { logoutPage, messagePage, signedOutPage } from "./pages.ts";
import { serviceClientRoles, type Role } from "./service-clients.ts";
import { SIGNING_ALG, type SigningKey } from "./signing-keys.ts";

/** The one scope of the API resource: access to the Tessera API as the token's subject. */
export const API_SCOPE = "api";

export interface ProviderOptions {
  settings: IdentitySettings;
  /** Newest first: the first one signs, the others are published for verification. */
  keys: readonly SigningKey[];
  adapter: AdapterFactory;
  accounts: Accounts;
  log: Logger;
  /** The issuer's path, where the provider is mounted: `/oidc`. */
  mountPath: string;
}

/**
 * The OpenID provider: authorization code + PKCE for tessera-web, client credentials for the
 * service clients, refresh tokens rotated on every use, and access tokens that are ES256 JWTs for
 * the API audience with the user's or client's `roles`. The claim contract is in README.md.
 */
export function createProvider(options: ProviderOptions): Provider {
  const { settings, keys, accounts, mountPath } = options;
  const audience = settings.IDENTITY_API_AUDIENCE;
  const signingKid = keys[0]?.kid;
  if (signingKid === undefined) throw new Error("the provider needs a signing key");

  const provider = new Provider(settings.IDENTITY_ISSUER, {
    adapter: options.adapter,
    clients: clientMetadata(settings),
    jwks: { keys: keys.map((key) => ({ ...key.privateJwk })) },
    clientDefaults: { id_token_signed_response_alg: SIGNING_ALG },
    clientAuthMethods: ["none", "client_secret_basic"],
    // A browser may call the token endpoint from tessera-web's own origin; confidential clients never.
    clientBasedCORS: (_ctx, origin, client) =>
      client.clientAuthMethod === "none" &&
      (client.redirectUris ?? []).some((uri) => URL.parse(uri)?.origin === origin),
    responseTypes: ["code"],
    pkce: { required: () => true },
    async findAccount(_ctx, sub) {
      const user = await accounts.find(sub);
      return user && { accountId: user.id, claims: () => ({ sub: user.id }) };
    },
    async extraTokenClaims(_ctx, token) {
      return { roles: await rolesOf(token) };
    },
    // Only tessera-web has the grant; it gets a refresh token without asking for offline_access.
    issueRefreshToken: (_ctx, client) => client.grantTypeAllowed("refresh_token"),
    // Every use of a refresh token replaces it; using a replaced one revokes the whole grant.
    rotateRefreshToken: true,
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      // A client revokes its own tokens only (tessera-web's refresh token when a user signs out).
      revocation: {
        enabled: true,
        allowedPolicy: (_ctx, client, token) => token.clientId === client.clientId,
      },
      // Access tokens are for the API; there is nothing for a userinfo endpoint to add.
      userinfo: { enabled: false },
      // Every access token is a plain bearer token: the verifiers check no DPoP proof (yet).
      dPoP: { enabled: false },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource(ctx, form) {
          sendPage(ctx, 200, logoutPage(form));
        },
        postLogoutSuccessSource(ctx) {
          sendPage(ctx, 200, signedOutPage());
        },
      },
      resourceIndicators: {
        enabled: true,
        // A client that names no resource means the API: it is the only one.
        defaultResource: (_ctx, _client, oneOf) => oneOf ?? audience,
        useGrantedResource: () => true,
        getResourceServerInfo(_ctx, resource) {
          if (resource !== audience) throw new errors.InvalidTarget();
          return {
            scope: API_SCOPE,
            audience,
            accessTokenTTL: ACCESS_TOKEN_TTL_S,
            accessTokenFormat: "jwt",
            jwt: { sign: { alg: SIGNING_ALG, kid: signingKid } },
          };
        },
      },
    },
    interactions: { url: (_ctx, interaction) => `${mountPath}/interaction/${interaction.uid}` },
    ttl: {
      AccessToken: ACCESS_TOKEN_TTL_S,
      ClientCredentials: ACCESS_TOKEN_TTL_S,
      AuthorizationCode: AUTHORIZATION_CODE_TTL_S,
      IdToken: ID_TOKEN_TTL_S,
      Interaction: INTERACTION_TTL_S,
      Session: SESSION_TTL_S,
      Grant: SESSION_TTL_S,
      // Rotating tessera-web's refresh token does not extend it: the chain ends SESSION_TTL_S after sign-in.
      RefreshToken: (ctx, token, client) => {
        const rotated = ctx?.oidc?.entities.RotatedRefreshToken;
        if (rotated && client.clientAuthMethod === "none" && !token.isSenderConstrained()) {
          return rotated.remainingTTL;
        }
        return SESSION_TTL_S;
      },
    },
    renderError(ctx, out) {
      const status = ctx.status >= 400 ? ctx.status : 400;
      sendPage(ctx, status, messagePage("Sign-in failed", describeError(out.error, out.error_description)));
    },
  });
  // The gateway sets X-Forwarded-Proto/Host: URLs the provider makes are the public ones.
  provider.proxy = true;
  logProviderEvents(provider, options.log);
  return provider;

  async function rolesOf(token: { kind: string; clientId?: string; accountId?: string }): Promise<Role[]> {
    if (token.kind === "ClientCredentials") return serviceClientRoles(token.clientId ?? "");
    const user = token.accountId === undefined ? undefined : await accounts.find(token.accountId);
    return user?.roles ?? [];
  }
}

function sendPage(ctx: KoaContextWithOIDC, status: number, body: string): void {
  ctx.status = status;
  ctx.set(PAGE_SECURITY_HEADERS as Record<string, string>);
  ctx.type = "html";
  ctx.body = body;
}

/** What an OAuth error means, for a person; the codes are oidc-provider's. */
function describeError(error: string, description: string | undefined): string {
  const detail = description ? ` (${error}: ${description})` : ` (${error})`;
  switch (error) {
    case "invalid_request":
    case "invalid_client":
    case "unauthorized_client":
    case "invalid_redirect_uri":
      return `The application sent a sign-in request that is not valid${detail}.`;
    case "access_denied":
      return `Access was denied${detail}.`;
    default:
      return `Something went wrong while signing in${detail}. Go back to the shop and try again.`;
  }
}
