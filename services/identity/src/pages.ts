import { EMAIL_MAX_LENGTH, PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from "./account-input.ts";
import { html, Html, page } from "./html.ts";

/** Where a page's forms post: `<mount path>/interaction/<uid>`. */
export interface InteractionPaths {
  base: string;
}

export interface FormState {
  /** What the person typed, shown again; never a password. */
  email?: string;
  error?: string;
  /** The field the error is about, marked invalid and focused. */
  field?: "email" | "password";
}

function errorBox(error: string | undefined): Html | undefined {
  return error ? html`<p class="error" role="alert" id="form-error">${error}</p>` : undefined;
}

function invalid(state: FormState, field: "email" | "password"): Html | undefined {
  return state.error && (state.field ?? "email") === field
    ? html` aria-invalid="true" aria-describedby="form-error" autofocus`
    : undefined;
}

function cancelForm(paths: InteractionPaths): Html {
  return html`<form method="post" action="${paths.base}/abort">
    <button type="submit" class="secondary">Cancel and go back</button>
  </form>`;
}

/** The e-mail and password fields both account forms share; registering asks for a new password. */
function accountFields(state: FormState, purpose: "login" | "register"): Html {
  const registering = purpose === "register";
  return html`<label for="email">E-mail address</label>
    <input
      id="email"
      name="email"
      type="email"
      autocomplete="username"
      required
      maxlength="${EMAIL_MAX_LENGTH}"
      value="${state.email ?? ""}"
      ${invalid(state, "email") ?? (state.error ? undefined : html` autofocus`)}
    />
    <label for="password">Password</label>
    <input
      id="password"
      name="password"
      type="password"
      autocomplete="${registering ? "new-password" : "current-password"}"
      required
      ${registering ? html`minlength="${PASSWORD_MIN_LENGTH}"` : undefined}
      maxlength="${PASSWORD_MAX_LENGTH}"
      ${registering ? html`aria-describedby="password-hint"` : undefined}
      ${invalid(state, "password")}
    />`;
}

export function loginPage(paths: InteractionPaths, state: FormState = {}): string {
  return page(
    "Sign in",
    html`<h1>Sign in to Tessera</h1>
      ${errorBox(state.error)}
      <form method="post" action="${paths.base}/login">
        ${accountFields(state, "login")}
        <button type="submit">Sign in</button>
      </form>
      <p>New to Tessera? <a href="${paths.base}/register">Create an account</a></p>
      ${cancelForm(paths)}`,
  );
}

export function registerPage(paths: InteractionPaths, state: FormState = {}): string {
  return page(
    "Create an account",
    html`<h1>Create a Tessera account</h1>
      ${errorBox(state.error)}
      <form method="post" action="${paths.base}/register">
        ${accountFields(state, "register")}
        <p class="hint" id="password-hint">
          At least ${PASSWORD_MIN_LENGTH} characters. A few unrelated words make a good one.
        </p>
        <button type="submit">Create account</button>
      </form>
      <p>Already have an account? <a href="${paths.base}">Sign in</a></p>
      ${cancelForm(paths)}`,
  );
}

/** What each scope lets the client do, in words. */
const SCOPE_WORDS: Readonly<Record<string, string>> = {
  openid: "know who you are",
  offline_access: "keep you signed in",
  api: "use your Tessera account for you: your cart, your orders and your details",
};

export function consentPage(
  paths: InteractionPaths,
  { clientName, email, scopes }: { clientName: string; email: string | undefined; scopes: readonly string[] },
): string {
  return page(
    "Allow access",
    html`<h1>Allow ${clientName}?</h1>
      ${email ? html`<p>You are signed in as <strong>${email}</strong>.</p>` : undefined}
      <p>${clientName} asks to:</p>
      <ul>
        ${scopes.map((scope) => html`<li>${SCOPE_WORDS[scope] ?? scope}</li> `)}
      </ul>
      <form method="post" action="${paths.base}/confirm">
        <button type="submit" autofocus>Allow</button>
      </form>
      <form method="post" action="${paths.base}/abort">
        <button type="submit" class="secondary">Deny</button>
      </form>`,
  );
}

/** A page that only says something: an expired sign-in, a refused request, an error. */
export function messagePage(title: string, message: string): string {
  return page(
    title,
    html`<h1>${title}</h1>
      <p>${message}</p>`,
  );
}

/** oidc-provider's sign-out confirmation around its own form (`op.logoutForm`, with its CSRF token). */
export function logoutPage(form: string): string {
  return page(
    "Sign out",
    html`<h1>Sign out of Tessera?</h1>
      ${new Html(form)}
      <button type="submit" form="op.logoutForm" name="logout" value="yes" autofocus>Sign out</button>
      <button type="submit" form="op.logoutForm" class="secondary">Stay signed in</button>`,
  );
}

export function signedOutPage(): string {
  return messagePage("Signed out", "You are signed out of Tessera. You can close this page.");
}
