import { STATUS_CODES } from "node:http";
import type { Socket } from "node:net";
import { randomUUID } from "node:crypto";
import type { Logger, Metrics } from "@tessera/kit";
import { httpProblem, problemBody, problemHeaders, problemMediaType, type ProblemParts } from "./problem.ts";

/** How long an answered bad connection may keep sending before it is cut. */
const lingerMs = 2_000;

/**
 * Answers requests Node's HTTP parser rejects before fastify sees them — most often a request line
 * and headers over the server's 16 KiB limit (`maxHeaderSize`), such as a huge query string.
 * Fastify's default writes a bare JSON body and destroys the socket at once, which can reset the
 * connection under a client still sending, so the client sees ECONNRESET instead of the answer.
 * Here the client gets a problem, then a half-close, and a short linger before the socket is cut.
 */
export function createClientErrorHandler({ log, metrics }: { log: Logger; metrics: Metrics }) {
  // The parser keeps reporting errors on the rest of the same bytes: answer each socket once.
  const answered = new WeakSet<Socket>();
  return (error: Error & { code?: string; rawPacket?: unknown }, socket: Socket): void => {
    if (error.code === "ECONNRESET" || socket.destroyed || answered.has(socket)) return;
    answered.add(socket);
    if (!socket.writable) {
      socket.destroy();
      return;
    }
    const parts = classify(error);
    const requestId = randomUUID();
    log.debug(
      { err: error, "http.request.id": requestId, "http.response.status_code": parts.status },
      "client error",
    );
    metrics.httpServer.observe(
      { method: "UNKNOWN", route: "(rejected)", status_code: String(parts.status) },
      0,
    );
    const body = JSON.stringify(problemBody(parts, requestId));
    const headers = {
      ...problemHeaders(parts, requestId),
      // As fastify labels every JSON reply.
      "content-type": `${problemMediaType}; charset=utf-8`,
      "content-length": String(Buffer.byteLength(body)),
      connection: "close",
    };
    const head = Object.entries(headers)
      .map(([name, value]) => `${name}: ${value}\r\n`)
      .join("");
    socket.end(`HTTP/1.1 ${parts.status} ${STATUS_CODES[parts.status] ?? parts.title}\r\n${head}\r\n${body}`);
    const cut = setTimeout(() => socket.destroy(), lingerMs).unref();
    socket.once("close", () => clearTimeout(cut));
  };
}

function classify(error: Error & { code?: string; rawPacket?: unknown }): ProblemParts {
  switch (error.code ?? "") {
    case "HPE_HEADER_OVERFLOW":
      // The rejected bytes hold no line break: the request line itself was too long (a long URL).
      return lineTooLong(error.rawPacket)
        ? httpProblem(414, "The URL is too long; the request line and headers may total 16 KiB.")
        : httpProblem(
            431,
            "The request headers are too large; the request line and headers may total 16 KiB.",
          );
    case "ERR_HTTP_REQUEST_TIMEOUT":
      return httpProblem(408, "The request was not received in time.");
    default:
      return httpProblem(400, "The request is not valid HTTP.");
  }
}

function lineTooLong(rawPacket: unknown): boolean {
  return Buffer.isBuffer(rawPacket) && !rawPacket.includes("\r\n");
}
