import { createHash } from "node:crypto";

/** Markup that is already safe to send: made by `html`, never from a plain string. */
export class Html {
  readonly text: string;

  constructor(text: string) {
    this.text = text;
  }
}

/**
 * A template tag that escapes every interpolated value unless it is `Html` itself; arrays are
 * joined, and undefined, null and false render as nothing.
 *
 * @example
 *   html`<p>${userInput}</p>` // "<p>&lt;script&gt;…</p>"
 */
/** What may go into `html`: text is escaped, `Html` is not. */
export type HtmlValue = Html | string | number | undefined | null | false | readonly HtmlValue[];

export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): Html {
  let text = strings[0] ?? "";
  values.forEach((value, index) => {
    text += render(value) + (strings[index + 1] ?? "");
  });
  return new Html(text);
}

function render(value: HtmlValue): string {
  if (value instanceof Html) return value.text;
  if (typeof value === "string") return escapeHtml(value);
  if (typeof value === "number") return String(value);
  if (value === undefined || value === null || value === false) return "";
  return value.map(render).join("");
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
}

const STYLE = `
body { font: 16px/1.5 system-ui, sans-serif; margin: 0; background: #f6f6f4; color: #1d1d1b; }
main { max-width: 26rem; margin: 3rem auto; padding: 2rem; background: #fff; border-radius: 8px; }
h1 { font-size: 1.5rem; margin-top: 0; }
label { display: block; font-weight: 600; margin-top: 1rem; }
input { display: block; width: 100%; box-sizing: border-box; font: inherit; padding: .5rem; margin-top: .25rem; }
.hint { color: #555; font-size: .875rem; margin: .25rem 0 0; }
button { font: inherit; margin-top: 1.5rem; padding: .5rem 1.25rem; cursor: pointer; }
.secondary { background: none; border: none; text-decoration: underline; padding: 0; margin-top: 1rem; }
.error { background: #fdecea; border-left: 4px solid #b3261e; padding: .75rem; }
`;

/**
 * What every page may load: its one inline stylesheet (by hash) and nothing else — no scripts,
 * no frames around it, no plugins.
 */
export const PAGE_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "content-security-policy": `default-src 'none'; style-src 'sha256-${createHash("sha256").update(STYLE).digest("base64")}'; frame-ancestors 'none'; base-uri 'none'`,
  "x-frame-options": "DENY",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "cache-control": "no-store",
};

// Untagged, so no formatter reflows it: the CSP hash covers this exact text.
const STYLE_ELEMENT = new Html(`<style>${STYLE}</style>`);

/** A whole page around `body`. */
export function page(title: string, body: Html): string {
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${title} · Tessera</title>
        ${STYLE_ELEMENT}
      </head>
      <body>
        <main>${body}</main>
      </body>
    </html> `.text;
}
