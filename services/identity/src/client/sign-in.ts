import { createHash, randomBytes } from "node:crypto";
import { Browser } from "./browser.ts";

/**
 * Signing in the way a person does, over HTTP against the issuer: authorization request with PKCE
 * (S256), the sign-in or registration form, the consent page, the code at the redirect URI, the
 * token endpoint. `npm run token` and identity's tests both drive identity through this module;
 * nothing here knows identity's internals, only its pages and the OAuth endpoints.
 */

export { Browser } from "./browser.ts";

export interface Discovery {
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
  jwks_uri: string;
  end_session_endpoint: string;
  revocation_endpoint?: string;
}

export interface TokenSet {
  access_token: string;
  token_type: string;
  expires_in: number;
  scope?: string;
  refresh_token?: string;
  id_token?: string;
}

/** A refusal by identity: a page's error message, or an OAuth error from an endpoint. */
export class SignInError extends Error {
  readonly status: number;
  /** The OAuth `error` code, for endpoint errors. */
  readonly code: string | undefined;

  constructor(message: string, status: number, code?: string) {
    super(message);
    this.name = "SignInError";
    this.status = status;
    this.code = code;
  }
}

export const WEB_CLIENT = "tessera-web";
export const DEFAULT_SCOPE = "openid api";

/** Where an issuer's endpoints are. `issuer` is where to reach it, which may differ from its name. */
export async function discover(issuer: string): Promise<Discovery> {
  const response = await fetch(`${issuer.replace(/\/$/, "")}/.well-known/openid-configuration`);
  if (!response.ok)
    throw new SignInError(`discovery at ${issuer} answered ${response.status}`, response.status);
  return (await response.json()) as Discovery;
}

/** A PKCE verifier and its S256 challenge. */
export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString("base64url");
  return { verifier, challenge: createHash("sha256").update(verifier).digest("base64url") };
}

export interface AuthorizationRequest {
  clientId?: string;
  /** tessera-web's default redirect URI, `<issuer origin>/callback`, when omitted. */
  redirectUri?: string;
  scope?: string;
}

/** An authorization request under way, standing on its sign-in page. */
export interface SignInPage {
  browser: Browser;
  /** The interaction page: the forms post to `<url>/login`, `<url>/register`. */
  url: string;
  verifier: string;
  state: string;
  redirectUri: string;
  clientId: string;
}

/** Sends the browser to the authorization endpoint and follows it to the sign-in page. */
export async function openSignInPage(
  discovery: Discovery,
  request: AuthorizationRequest = {},
  browser = new Browser(),
): Promise<SignInPage> {
  const clientId = request.clientId ?? WEB_CLIENT;
  const redirectUri = request.redirectUri ?? new URL("/callback", discovery.issuer).href;
  const { verifier, challenge } = pkcePair();
  const state = randomBytes(16).toString("base64url");
  const url = new URL(discovery.authorization_endpoint);
  url.search = new URLSearchParams({
    client_id: clientId,
    response_type: "code",
    redirect_uri: redirectUri,
    scope: request.scope ?? DEFAULT_SCOPE,
    state,
    code_challenge: challenge,
    code_challenge_method: "S256",
  }).toString();
  const response = await browser.request(url);
  const location = response.headers.get("location");
  if (response.status !== 303 || !location) throw await pageError(response, "the authorization request");
  const page = new URL(location, url).href;
  const shown = await browser.request(page);
  if (shown.status !== 200) throw await pageError(shown, "the sign-in page");
  return { browser, url: page, verifier, state, redirectUri, clientId };
}

/** Posts the sign-in (`login`) or registration (`register`) form of the page. */
export function submitAccountForm(
  page: SignInPage,
  form: "login" | "register",
  credentials: { email: string; password: string },
): Promise<Response> {
  return page.browser.request(`${page.url}/${form}`, { form: credentials });
}

/**
 * From the response to a sign-in form to the authorization code: follows the redirects, allows
 * the client on the consent page, and checks `state` at the redirect URI.
 */
export async function followToCode(page: SignInPage, response: Response): Promise<string> {
  let current = response;
  let at = `${page.url}/login`;
  for (let step = 0; step < 10; step++) {
    const location = current.headers.get("location");
    if (current.status === 303 || current.status === 302) {
      if (!location) break;
      const next = new URL(location, at).href;
      if (next.startsWith(page.redirectUri)) return codeAt(next, page.state);
      at = next;
      current = await page.browser.request(next);
    } else if (current.status === 200) {
      const consent = /<form method="post" action="([^"]+\/confirm)">/.exec(await current.text())?.[1];
      if (!consent) break;
      at = new URL(decodeHtml(consent), at).href;
      current = await page.browser.request(at, { form: {} });
    } else {
      break;
    }
  }
  throw await pageError(current, "signing in");
}

/** Exchanges a code for tokens at the token endpoint, proving PKCE with `verifier`. */
export function exchangeCode(
  discovery: Discovery,
  {
    code,
    verifier,
    redirectUri,
    clientId = WEB_CLIENT,
  }: { code: string; verifier: string; redirectUri: string; clientId?: string },
): Promise<TokenSet> {
  return tokenRequest(discovery, {
    grant_type: "authorization_code",
    code,
    code_verifier: verifier,
    redirect_uri: redirectUri,
    client_id: clientId,
  });
}

/** A new access token and (rotated) refresh token for a refresh token. */
export function refreshTokens(
  discovery: Discovery,
  refreshToken: string,
  clientId = WEB_CLIENT,
): Promise<TokenSet> {
  return tokenRequest(discovery, {
    grant_type: "refresh_token",
    refresh_token: refreshToken,
    client_id: clientId,
  });
}

/** A client-credentials token for a service client (client_secret_basic). */
export function clientCredentials(
  discovery: Discovery,
  { clientId, secret, scope = "api" }: { clientId: string; secret: string; scope?: string },
): Promise<TokenSet> {
  const basic = Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString(
    "base64",
  );
  return tokenRequest(
    discovery,
    { grant_type: "client_credentials", scope },
    { authorization: `Basic ${basic}` },
  );
}

export interface SignInOptions extends AuthorizationRequest {
  /** Where to reach the issuer (its discovery document is under it). */
  issuer: string;
  email: string;
  password: string;
  /**
   * Which form to send. `register-or-login` signs in when the address already has an account (409);
   * `login-or-register` registers when signing in fails (401), e.g. on a database started afresh.
   */
  account: "login" | "register" | "register-or-login" | "login-or-register";
}

/** The whole flow: tokens for `email`, signing in or registering as asked. */
export async function signIn(options: SignInOptions): Promise<TokenSet> {
  const discovery = await discover(options.issuer);
  const page = await openSignInPage(discovery, options);
  const credentials = { email: options.email, password: options.password };
  const [first, fallback] = options.account.split("-or-") as ["login" | "register", ("login" | "register")?];
  let response = await submitAccountForm(page, first, credentials);
  if (fallback && response.status === (first === "register" ? 409 : 401)) {
    response = await submitAccountForm(page, fallback, credentials);
  }
  const code = await followToCode(page, response);
  return exchangeCode(discovery, {
    code,
    verifier: page.verifier,
    redirectUri: page.redirectUri,
    clientId: page.clientId,
  });
}

async function tokenRequest(
  discovery: Discovery,
  form: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<TokenSet> {
  const response = await fetch(discovery.token_endpoint, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
    body: new URLSearchParams(form).toString(),
  });
  const body = (await response.json()) as TokenSet & { error?: string; error_description?: string };
  if (!response.ok) {
    throw new SignInError(
      `the token endpoint refused: ${body.error ?? response.status}${body.error_description ? ` (${body.error_description})` : ""}`,
      response.status,
      body.error,
    );
  }
  return body;
}

function codeAt(redirect: string, state: string): string {
  const params = new URL(redirect).searchParams;
  const error = params.get("error");
  if (error) throw new SignInError(`the authorization was refused: ${error}`, 400, error);
  if (params.get("state") !== state) throw new SignInError("the redirect carried another state", 400);
  const code = params.get("code");
  if (!code) throw new SignInError("the redirect carried no code", 400);
  return code;
}

/** The message on an error page, or its status. */
async function pageError(response: Response, what: string): Promise<SignInError> {
  const text = await response.text().catch(() => "");
  const message =
    /<p class="error" role="alert"[^>]*>([^<]*)<\/p>/.exec(text)?.[1] ?? /<p>([^<]*)<\/p>/.exec(text)?.[1];
  return new SignInError(
    message ? decodeHtml(message) : `${what} answered ${response.status}`,
    response.status,
  );
}

function decodeHtml(text: string): string {
  return text
    .replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code)))
    .replace(/&amp;/g, "&");
}
