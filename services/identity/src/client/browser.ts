interface StoredCookie {
  name: string;
  value: string;
  path: string;
}

/**
 * Just enough of a browser to walk identity's pages: it keeps cookies (by name and path, one host),
 * sends forms as browsers do and never follows a redirect by itself, so each step can be looked at.
 */
export class Browser {
  readonly #cookies = new Map<string, StoredCookie>();

  /** GET `url`, or POST `form` to it. */
  async request(url: string | URL, { form }: { form?: Record<string, string> } = {}): Promise<Response> {
    const target = new URL(url);
    const headers: Record<string, string> = {};
    const cookie = this.cookieHeader(target);
    if (cookie) headers["cookie"] = cookie;
    let body: string | undefined;
    if (form) {
      headers["content-type"] = "application/x-www-form-urlencoded";
      body = new URLSearchParams(form).toString();
    }
    const response = await fetch(target, {
      method: form ? "POST" : "GET",
      headers,
      body,
      redirect: "manual",
    });
    for (const line of response.headers.getSetCookie()) this.#store(line, target);
    return response;
  }

  /** The `Cookie` header the browser would send to `url`. */
  cookieHeader(url: URL): string {
    return [...this.#cookies.values()]
      .filter((cookie) => url.pathname === cookie.path || url.pathname.startsWith(withSlash(cookie.path)))
      .map((cookie) => `${cookie.name}=${cookie.value}`)
      .join("; ");
  }

  /** Every cookie value held, for tests that check none of them leaks. */
  cookieValues(): string[] {
    return [...this.#cookies.values()].map((cookie) => cookie.value);
  }

  #store(line: string, from: URL): void {
    const [pair = "", ...attributes] = line.split(";").map((part) => part.trim());
    const equals = pair.indexOf("=");
    if (equals <= 0) return;
    const name = pair.slice(0, equals);
    const value = pair.slice(equals + 1);
    let path = from.pathname.replace(/\/[^/]*$/, "") || "/";
    let expired = value === "";
    for (const attribute of attributes) {
      const [key = "", setting = ""] = attribute.split("=");
      if (key.toLowerCase() === "path") path = setting || "/";
      if (key.toLowerCase() === "max-age" && Number(setting) <= 0) expired = true;
      if (key.toLowerCase() === "expires" && Date.parse(setting) <= Date.now()) expired = true;
    }
    const key = `${name};${path}`;
    if (expired) this.#cookies.delete(key);
    else this.#cookies.set(key, { name, value, path });
  }
}

const withSlash = (path: string) => (path.endsWith("/") ? path : `${path}/`);
