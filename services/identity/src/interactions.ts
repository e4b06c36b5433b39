import type { IncomingMessage, ServerResponse } from "node:http";
import { findRefusedText, type Logger } from "@tessera/kit";
import { errors, type InteractionResults } from "oidc-provider";
import { EMAIL_MAX_LENGTH } from "./account-input.ts";
import { AccountError, type Accounts } from "./accounts.ts";
import type { CurrentProvider } from "./current-provider.ts";
import { FormBodyError, readForm, sendHtml } from "./http-io.ts";
import { consentPage, loginPage, messagePage, registerPage, type InteractionPaths } from "./pages.ts";

export type InteractionAction = "login" | "register" | "confirm" | "abort";

type Interaction = Awaited<ReturnType<CurrentProvider["provider"]["interactionDetails"]>>;

export interface InteractionsOptions {
  current: CurrentProvider;
  accounts: Accounts;
  /** The issuer's path: pages live under `<mountPath>/interaction/<uid>`. */
  mountPath: string;
  log: Logger;
}

const EXPIRED = messagePage(
  "This sign-in has expired",
  "Start again from the shop: sign-in pages are valid for 30 minutes and only in the browser that opened them.",
);

/**
 * The pages oidc-provider sends a person to: sign in, create an account, allow the client. Every
 * request must carry the interaction's cookie (SameSite=Lax, scoped to this interaction's path),
 * and the cookie must name the interaction of the URL — so a form posted from another site, or
 * for another sign-in, finds nothing and is refused.
 */
export function interactionPages({ current, accounts, mountPath, log }: InteractionsOptions) {
  return async function handleInteraction(
    req: IncomingMessage,
    res: ServerResponse,
    uid: string,
    action: InteractionAction | undefined,
  ): Promise<void> {
    try {
      await route(req, res, uid, action);
    } catch (error) {
      // The interaction can expire, or be finished in another tab, between two steps of one request.
      if (!(error instanceof errors.SessionNotFound) || res.headersSent) throw error;
      sendHtml(res, 400, EXPIRED);
    }
  };

  async function route(
    req: IncomingMessage,
    res: ServerResponse,
    uid: string,
    action: InteractionAction | undefined,
  ): Promise<void> {
    const paths: InteractionPaths = { base: `${mountPath}/interaction/${uid}` };
    const allowed = action === undefined ? "GET" : action === "register" ? "GET, POST" : "POST";
    if (!allowed.split(", ").includes(req.method ?? "")) {
      sendHtml(res, 405, messagePage("Not allowed", "This page does not take that kind of request."), {
        allow: allowed,
      });
      return;
    }
    if (req.method === "POST" && req.headers["sec-fetch-site"] === "cross-site") {
      sendHtml(
        res,
        403,
        messagePage("Request refused", "This form can only be sent from Tessera's own pages."),
      );
      return;
    }
    const interaction = await findInteraction(req, res, uid);
    if (!interaction) {
      sendHtml(res, 400, EXPIRED);
      return;
    }
    const prompt = interaction.prompt.name;
    if (action === "abort")
      return finish(req, res, { error: "access_denied", error_description: "cancelled" });
    if (prompt === "consent" && action === undefined) return showConsent(res, paths, interaction);
    if (prompt === "consent" && action === "confirm") return confirm(req, res, interaction);
    if (prompt === "login") {
      if (action === undefined) return sendHtml(res, 200, loginPage(paths));
      if (action === "register" && req.method === "GET") return sendHtml(res, 200, registerPage(paths));
      if (action === "login" || action === "register") return signIn(req, res, paths, action);
    }
    sendHtml(
      res,
      400,
      messagePage("Nothing to do here", "This step of signing in is already done. Go back to the shop."),
    );
  }

  async function findInteraction(req: IncomingMessage, res: ServerResponse, uid: string) {
    try {
      const interaction = await current.provider.interactionDetails(req, res);
      return interaction.uid === uid ? interaction : undefined;
    } catch (error) {
      if (error instanceof errors.SessionNotFound) return undefined;
      throw error;
    }
  }

  function finish(req: IncomingMessage, res: ServerResponse, result: InteractionResults, merge = false) {
    return current.provider.interactionFinished(req, res, result, { mergeWithLastSubmission: merge });
  }

  async function signIn(
    req: IncomingMessage,
    res: ServerResponse,
    paths: InteractionPaths,
    step: "login" | "register",
  ): Promise<void> {
    const render = step === "login" ? loginPage : registerPage;
    let form: URLSearchParams;
    try {
      form = await readForm(req);
    } catch (error) {
      if (!(error instanceof FormBodyError)) throw error;
      return sendHtml(res, error.status, render(paths, { error: error.message }));
    }
    const email = form.get("email") ?? "";
    const password = form.get("password") ?? "";
    try {
      const user =
        step === "login"
          ? await accounts.authenticate(email, password)
          : await accounts.register(email, password);
      log.info({ "user.id": user.id }, step === "login" ? "signed in" : "account created");
      return finish(req, res, { login: { accountId: user.id, amr: ["pwd"], remember: true } });
    } catch (error) {
      if (!(error instanceof AccountError)) throw error;
      // Neither the address nor anything typed: only why, so an operator sees floods of failures.
      log.info({ "identity.refusal": error.code, "identity.form": step }, "sign-in form refused");
      // What was typed goes back into the field, unless it is the reason for refusing it.
      const shown = email.length <= EMAIL_MAX_LENGTH && !findRefusedText(email) ? email : "";
      sendHtml(
        res,
        ACCOUNT_ERROR_STATUS[error.code],
        render(paths, { email: shown, error: error.message, field: error.field }),
        error.retryAfterSeconds ? { "retry-after": String(error.retryAfterSeconds) } : {},
      );
    }
  }

  async function showConsent(res: ServerResponse, paths: InteractionPaths, interaction: Interaction) {
    const clientId = String(interaction.params["client_id"]);
    const client = await current.provider.Client.find(clientId);
    const user = interaction.session && (await accounts.find(interaction.session.accountId));
    const missing = interaction.prompt.details as ConsentDetails;
    const scopes = new Set([
      ...(missing.missingOIDCScope ?? []),
      ...Object.values(missing.missingResourceScopes ?? {}).flat(),
    ]);
    sendHtml(
      res,
      200,
      consentPage(paths, {
        clientName: client?.clientName ?? clientId,
        email: user?.email,
        scopes: [...scopes],
      }),
    );
  }

  async function confirm(req: IncomingMessage, res: ServerResponse, interaction: Interaction) {
    const { Grant } = current.provider;
    const missing = interaction.prompt.details as ConsentDetails;
    const grant = interaction.grantId
      ? await Grant.find(interaction.grantId)
      : new Grant({
          accountId: interaction.session?.accountId,
          clientId: String(interaction.params["client_id"]),
        });
    if (!grant) return sendHtml(res, 400, EXPIRED);
    if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(" "));
    if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
    for (const [resource, scopes] of Object.entries(missing.missingResourceScopes ?? {})) {
      grant.addResourceScope(resource, scopes.join(" "));
    }
    const grantId = await grant.save();
    return finish(req, res, { consent: interaction.grantId ? {} : { grantId } }, true);
  }
}

interface ConsentDetails {
  missingOIDCScope?: string[];
  missingOIDCClaims?: string[];
  missingResourceScopes?: Record<string, string[]>;
}

const ACCOUNT_ERROR_STATUS: Readonly<Record<AccountError["code"], number>> = {
  "invalid-input": 400,
  "email-taken": 409,
  "bad-credentials": 401,
  locked: 429,
};
