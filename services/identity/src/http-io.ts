import type { IncomingMessage, ServerResponse } from "node:http";
import { PAGE_SECURITY_HEADERS } from "./html.ts";

/** A request body the forms cannot take, with the status and the words to answer it with. */
export class FormBodyError extends Error {
  readonly status: number;

  constructor(status: number, message: string) {
    super(message);
    this.name = "FormBodyError";
    this.status = status;
  }
}

// The forms hold an e-mail address and a password: a few hundred bytes at most.
const MAX_FORM_BYTES = 16 * 1024;

/** Reads an `application/x-www-form-urlencoded` body, as browsers send forms. */
export async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const type = req.headers["content-type"]?.split(";")[0]?.trim().toLowerCase();
  if (type !== "application/x-www-form-urlencoded") {
    throw new FormBodyError(415, "This form must be sent as application/x-www-form-urlencoded.");
  }
  const declared = Number(req.headers["content-length"] ?? 0);
  if (declared > MAX_FORM_BYTES) throw new FormBodyError(413, "The form sent is too large.");
  const chunks: Buffer[] = [];
  let received = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    received += chunk.length;
    if (received > MAX_FORM_BYTES) throw new FormBodyError(413, "The form sent is too large.");
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
}

/** Sends an HTML page with the pages' security headers (CSP, no framing, no caching). */
export function sendHtml(
  res: ServerResponse,
  status: number,
  body: string,
  headers: Readonly<Record<string, string>> = {},
): void {
  res.writeHead(status, {
    ...PAGE_SECURITY_HEADERS,
    "content-type": "text/html; charset=utf-8",
    "content-length": Buffer.byteLength(body),
    ...headers,
  });
  res.end(body);
}
