import type { Logger } from "@tessera/kit";

/** Where a log line may hold a credential: request headers as fastify, reply-from or an error carries them. */
const secretPaths = [
  "headers.authorization",
  "headers.cookie",
  'headers["set-cookie"]',
  "req.headers.authorization",
  "req.headers.cookie",
  "request.headers.authorization",
  "request.headers.cookie",
  'res.headers["set-cookie"]',
  "*.headers.authorization",
  "*.headers.cookie",
];

/**
 * The gateway's logger: the service's, with credentials censored wherever a line would carry them.
 * The gateway's own lines name no header, token or cookie; this holds for what plugins log too.
 */
export function redactSecrets(log: Logger): Logger {
  return log.child({}, { redact: { paths: secretPaths, censor: "[redacted]" } });
}
