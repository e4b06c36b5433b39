import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Logger } from "@tessera/kit";
import type { CurrentProvider } from "./current-provider.ts";
import { sendHtml } from "./http-io.ts";
import type { InteractionAction } from "./interactions.ts";
import { messagePage } from "./pages.ts";

export interface IdentityHttpOptions {
  /** The issuer's path (`/oidc`), under which everything is served; "" for an issuer at a root. */
  mountPath: string;
  current: CurrentProvider;
  interactions: (
    req: IncomingMessage,
    res: ServerResponse,
    uid: string,
    action: InteractionAction | undefined,
  ) => Promise<void>;
  log: Logger;
}

// oidc-provider's interaction ids are 21 characters of [A-Za-z0-9_-].
const INTERACTION = /^\/interaction\/([\w-]{1,64})(?:\/(login|register|confirm|abort))?\/?$/;

/**
 * Identity's HTTP server: the interaction pages under `<mount>/interaction/<uid>`, everything else
 * under the mount path to oidc-provider (discovery, JWKS, auth, token, end_session, revocation).
 * Nothing about a request is logged but its failure: URLs and bodies carry codes, tokens and
 * interaction ids that double as cookies.
 */
export function createIdentityHttpServer({
  mountPath,
  current,
  interactions,
  log,
}: IdentityHttpOptions): Server {
  return createServer((req, res) => {
    route(req, res).catch((error: unknown) => {
      log.error({ err: error }, "identity HTTP request failed");
      if (res.headersSent) res.destroy();
      else sendHtml(res, 500, messagePage("Something went wrong", "Please try again in a moment."));
    });
  });

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = req.url ?? "/";
    const path = url.split("?")[0] ?? "/";
    if (path !== mountPath && !path.startsWith(`${mountPath}/`)) {
      sendHtml(res, 404, messagePage("Not found", "There is no such page."));
      return;
    }
    const interaction = INTERACTION.exec(path.slice(mountPath.length));
    if (interaction) {
      await interactions(req, res, interaction[1] ?? "", interaction[2] as InteractionAction | undefined);
      return;
    }
    // Mounted as express mounts it: oidc-provider reads its mount path off `originalUrl`.
    const relative = url.slice(mountPath.length);
    Object.assign(req, { originalUrl: url, url: relative.startsWith("/") ? relative : `/${relative}` });
    await current.handle(req, res);
  }
}
