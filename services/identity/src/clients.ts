import type { ClientMetadata } from "oidc-provider";
import type { IdentitySettings } from "./config.ts";

/** The browser client: the storefront, a public client using authorization code + PKCE. */
export const WEB_CLIENT_ID = "tessera-web";
export const WEB_CLIENT_NAME = "the Tessera shop";

/** `<issuer origin><path>`: where the web app lives, on the gateway's origin like the issuer. */
const besideIssuer = (settings: IdentitySettings, path: string) =>
  new URL(path, settings.IDENTITY_ISSUER).href;

/** Every client identity knows: tessera-web and the configured service clients. Nothing else registers. */
export function clientMetadata(settings: IdentitySettings): ClientMetadata[] {
  const web: ClientMetadata = {
    client_id: WEB_CLIENT_ID,
    client_name: WEB_CLIENT_NAME,
    application_type: "web",
    token_endpoint_auth_method: "none",
    grant_types: ["authorization_code", "refresh_token"],
    response_types: ["code"],
    redirect_uris: settings.IDENTITY_WEB_REDIRECT_URIS ?? [besideIssuer(settings, "/callback")],
    post_logout_redirect_uris: settings.IDENTITY_WEB_POST_LOGOUT_REDIRECT_URIS ?? [
      besideIssuer(settings, "/"),
    ],
  };
  const services = settings.IDENTITY_SERVICE_CLIENTS.map((client): ClientMetadata => ({
    client_id: client.id,
    client_secret: client.secret,
    token_endpoint_auth_method: "client_secret_basic",
    grant_types: ["client_credentials"],
    response_types: [],
    redirect_uris: [],
  }));
  return [web, ...services];
}
