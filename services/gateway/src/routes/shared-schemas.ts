import { userChallenge } from "../user.ts";

/** A problem response of an operation, for the OpenAPI document. */
export const problem = (description: string) => ({
  description,
  content: { "application/problem+json": { schema: { $ref: "Problem#" } } },
});

/** The 401 of every route that needs a user, with its challenge. */
export const unauthenticated = {
  ...problem(
    "No user, or one this deployment does not accept: sign-in arrives with the identity service; until then embedded mode accepts the `X-Tessera-User` header.",
  ),
  headers: {
    "WWW-Authenticate": { type: "string", description: "The challenge.", examples: [userChallenge] },
  },
};

/** `page_size` and `page_token`, the paging of every list. */
export const pageQuerySchema = {
  type: "object",
  properties: {
    page_size: {
      type: "integer",
      minimum: 1,
      maximum: 100,
      description: "Items per page; the service's default when omitted.",
    },
    page_token: { type: "string", maxLength: 2048, description: "`nextPageToken` of the previous page." },
  },
} as const;

export interface PageQuery {
  page_size?: number;
  page_token?: string;
}

export const nextPageToken = {
  type: "string",
  description: "Pass as `page_token` for the next page; empty on the last page.",
} as const;
