import type { FastifyReply, FastifyRequest } from "fastify";

/**
 * Absolute links of the API (`Location`, `next`): built on the gateway's configured public origin
 * (`PUBLIC_URL`), never on the request's `Host`, which the client chooses — a link in an answer
 * must not point wherever a forged header says.
 */
export interface Links {
  /** The absolute URL of `path` (which starts with `/`). */
  url(path: string): string;
  /**
   * The next page of the list `request` asked for: its path and query with `page_token` replaced
   * by `nextPageToken`, also sent as `Link: <…>; rel="next"` (RFC 8288). Undefined on the last page.
   */
  next(request: FastifyRequest, reply: FastifyReply, nextPageToken: string): string | undefined;
}

export function createLinks(origin: string): Links {
  const url = (path: string) => new URL(path, origin).href;
  return {
    url,
    next(request, reply, nextPageToken) {
      if (nextPageToken === "") return undefined;
      const [path = "/", query = ""] = request.url.split("?", 2);
      const parameters = new URLSearchParams(query);
      parameters.set("page_token", nextPageToken);
      const next = url(`${path}?${parameters.toString()}`);
      reply.header("link", `<${next}>; rel="next"`);
      return next;
    },
  };
}

/** The `next` property of a page, for the page schemas. */
export const nextLinkSchema = {
  type: "string",
  format: "uri",
  description:
    'The absolute URL of the next page (this request with `page_token` set), also sent as `Link: <…>; rel="next"`. Absent on the last page.',
} as const;

/** The `Link` header of a page, for the page operations' 200 responses. */
export const pageLinkHeaders = {
  Link: {
    type: "string",
    description: 'The next page as `<URL>; rel="next"` (RFC 8288); absent on the last page.',
  },
} as const;
