import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "@tessera/kit";
import type Provider from "oidc-provider";
import type { SigningKey } from "./signing-keys.ts";

type Handler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

/**
 * The provider serving requests now. oidc-provider takes its keys once, at construction, so a key
 * rotation builds a new provider with the new set; requests in flight finish on the old one. Its
 * state is all in the database, so nothing is lost in the switch.
 */
export class CurrentProvider {
  readonly #build: (keys: readonly SigningKey[]) => Provider;
  readonly #log: Logger;
  #current: { provider: Provider; handle: Handler; kids: string } | undefined;

  constructor(build: (keys: readonly SigningKey[]) => Provider, log: Logger) {
    this.#build = build;
    this.#log = log;
  }

  /** Serves with `keys` (newest first); builds a provider only when they differ from the current ones. */
  use(keys: readonly SigningKey[]): void {
    const kids = keys.map((key) => key.kid).join(" ");
    if (this.#current?.kids === kids) return;
    const provider = this.#build(keys);
    this.#current = { provider, handle: provider.callback(), kids };
    this.#log.info(
      { "identity.signing_kid": keys[0]?.kid, "identity.published_keys": keys.length },
      "signing keys in use",
    );
  }

  get provider(): Provider {
    if (!this.#current) throw new Error("the provider is not built yet: no signing keys were loaded");
    return this.#current.provider;
  }

  /** Hands a request to the provider (its URL already relative to the mount path). */
  handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!this.#current) throw new Error("the provider is not built yet: no signing keys were loaded");
    return this.#current.handle(req, res);
  }
}
