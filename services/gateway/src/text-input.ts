import type { FastifyInstance, FastifyRequest } from "fastify";
import { describeRefusedCharacter, findRefusedText, refusedTextRule, type RefusedText } from "@tessera/kit";
import { problemOf, sendProblem, type InvalidParameter } from "./problem.ts";

/**
 * The gateway's one check of text input, before any route's own validation: every string of the
 * path parameters, the query, the headers a route declares (`Idempotency-Key`) and the JSON body —
 * property names included — is held to the platform's rule (`refusedTextRule` in the kit: no
 * control characters but tab, LF and CR, no unpaired surrogates), and the query must be valid
 * percent-encoded UTF-8 (fastify's parser passes `%FF` or a lone `%` through undecoded). A refusal
 * is a 400 problem naming where. The access token is checked earlier, in user.ts.
 */
export function installTextInputCheck(app: FastifyInstance): void {
  app.addHook("preValidation", async (request, reply) => {
    const refusal = badQueryEncoding(request.url) ?? refusedInput(request);
    if (!refusal) return undefined;
    const { error, why } = refusal;
    const where = error.in === "body" ? "body property" : `${error.in} parameter`;
    const detail = `${where} ${error.parameter} ${error.detail}: ${why}`;
    return sendProblem(request, reply, problemOf("invalid_argument", detail, [error]));
  });
}

interface Refusal {
  error: InvalidParameter;
  /** The rule broken, for the problem's detail. */
  why: string;
}

function refusedInput(request: FastifyRequest): Refusal | undefined {
  const sources: [InvalidParameter["in"], unknown][] = [
    ["path", request.params],
    ["query", request.query],
    ["header", declaredHeaders(request)],
    ["body", request.body],
  ];
  for (const [where, value] of sources) {
    const found = findRefusedText(value);
    if (found) {
      return {
        error: { in: where, parameter: parameterName(found), detail: detailOf(found) },
        why: refusedTextRule,
      };
    }
  }
  return undefined;
}

/** The headers the route's schema names, as sent: only what the API reads, not a browser's own. */
function declaredHeaders(request: FastifyRequest): Record<string, unknown> {
  const schema = request.routeOptions.schema?.headers as { properties?: Record<string, unknown> } | undefined;
  const names = Object.keys(schema?.properties ?? {});
  return Object.fromEntries(names.map((name) => [name, request.headers[name.toLowerCase()]]));
}

// Names are shown as the problem's other errors show them: dotted, with control characters escaped.
function parameterName({ path }: RefusedText): string {
  if (path.length === 0) return "(body)";
  return path.map((part) => (typeof part === "number" ? String(part) : printable(part))).join(".");
}

function detailOf({ inKey, character }: RefusedText): string {
  return `${inKey ? "is a name that " : ""}${describeRefusedCharacter(character)}`;
}

function printable(text: string): string {
  return findRefusedText(text) ? JSON.stringify(text).slice(1, -1) : text;
}

/** The first query parameter that is not valid percent-encoded UTF-8, or undefined. */
function badQueryEncoding(url: string): Refusal | undefined {
  const start = url.indexOf("?");
  if (start === -1) return undefined;
  for (const pair of url.slice(start + 1).split("&")) {
    const separator = pair.indexOf("=");
    const name = separator === -1 ? pair : pair.slice(0, separator);
    const value = separator === -1 ? "" : pair.slice(separator + 1);
    const decodedName = decode(name);
    if (decodedName === undefined || decode(value) === undefined) {
      const parameter = decodedName === undefined ? name.slice(0, 100) : printable(decodedName);
      return {
        error: { in: "query", parameter, detail: "is not valid percent-encoded UTF-8" },
        why: "a query string is UTF-8 with reserved bytes written as %XX (a % sign itself as %25)",
      };
    }
  }
  return undefined;
}

function decode(text: string): string | undefined {
  try {
    return decodeURIComponent(text.replaceAll("+", " "));
  } catch {
    return undefined;
  }
}
