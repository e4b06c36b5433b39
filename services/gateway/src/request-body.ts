import compress from "@fastify/compress";
import type { FastifyInstance } from "fastify";
import { Duplex, pipeline, Transform } from "node:stream";
import zlib from "node:zlib";
import { ServiceError } from "@tessera/kit";

/** The API takes small JSON bodies (a cart line, a card token); nothing comes near 16 KiB. */
export const bodyLimit = 16 * 1024;

/** The content codings a request body may arrive in (`Content-Encoding`); anything else is a 415. */
export const requestEncodings = ["gzip", "deflate", "br"] as const;

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/** Raised by a decoder whose output passed the body limit: the decoding stops there. */
class DecodedBodyTooLarge extends Error {}

/**
 * An error fastify answers with `statusCode`. Message and status are own enumerable properties:
 * the compress plugin copies what its callbacks return onto the decoder's own error.
 */
const clientError = (statusCode: number, message: string) =>
  Object.assign(new Error(), { statusCode, message });

/**
 * How request bodies are read: JSON only (an empty one is accepted where the operation takes none) (`text/plain` and the like get a 415), in UTF-8 (bytes
 * that are not are a 400, not silently replaced by U+FFFD), optionally compressed with gzip,
 * deflate or br, and at most `bodyLimit` bytes both as sent and once decoded — a small body that
 * inflates past the limit (a zip bomb) is a 413, and its decoding stops at the limit rather than
 * running on after the answer (a 2 KB brotli bomb of 1 GiB cost 2.6 s of CPU that way).
 */
export async function registerRequestBody(app: FastifyInstance): Promise<void> {
  app.removeContentTypeParser("text/plain");
  const parseJson = app.getDefaultJsonParser("error", "error");
  app.removeContentTypeParser("application/json");
  app.addContentTypeParser("application/json", { parseAs: "buffer" }, (request, body, done) => {
    // Clients often send `Content-Type: application/json` on every request: on an operation that
    // takes no body (a DELETE, a cancel), an empty one is no body rather than a 400.
    if ((body as Buffer).length === 0 && request.routeOptions.schema?.body === undefined) {
      done(null, undefined);
      return;
    }
    let text: string;
    try {
      text = strictUtf8.decode(body as Buffer);
    } catch (error) {
      done(new ServiceError("invalid_argument", "The body is not valid UTF-8.", { cause: error }), undefined);
      return;
    }
    // The default parser answers through `done`; it returns nothing to wait for.
    void parseJson(request, text, done);
  });

  // Fastify checks the decoded size too, but only stops reading: the decoder itself must stop.
  const capped = (decoder: Transform): Duplex => {
    let decoded = 0;
    const cap = new Transform({
      transform(chunk: Buffer, _encoding, next) {
        decoded += chunk.length;
        next(decoded > bodyLimit ? new DecodedBodyTooLarge() : null, chunk);
      },
    });
    // The cap's error ends the pipeline, which destroys the decoder: no byte is decoded after it.
    pipeline(decoder, cap, () => undefined);
    return Duplex.from({ writable: decoder, readable: cap });
  };
  await app.register(compress, {
    // Responses: compressing is the ingress's job, and costs CPU here for small JSON.
    globalCompression: false,
    requestEncodings: [...requestEncodings, "identity"],
    zlib: {
      createGunzip: () => capped(zlib.createGunzip()),
      createInflate: () => capped(zlib.createInflate()),
      createBrotliDecompress: () => capped(zlib.createBrotliDecompress()),
    },
    onUnsupportedRequestEncoding: (encoding) =>
      clientError(
        415,
        `Content-Encoding ${JSON.stringify(encoding.slice(0, 40))} is not supported: send ${requestEncodings.join(", ")} or none.`,
      ),
    onInvalidRequestPayload: (encoding, _request, error) =>
      error instanceof DecodedBodyTooLarge
        ? clientError(413, `The body is over ${bodyLimit} bytes once decoded.`)
        : clientError(400, `The body is not valid ${encoding} data.`),
  });
}
