import type { Logger } from "@tessera/kit";

/** Where a log line may hold a credential or card data: request headers and bodies as fastify, reply-from or an error carries them. */
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
  // Sign-in forms and checkout bodies, should a plugin or an error carry them onto a line.
  "password",
  "*.password",
  "*.*.password",
  "cardToken",
  "*.cardToken",
  "*.*.cardToken",
  "cardNumber",
  "*.cardNumber",
  "*.*.cardNumber",
];

/**
 * The gateway's logger: the service's, with credentials censored wherever a line would carry them.
 * The gateway's own lines name no header, token or cookie; this holds for what plugins log too.
 */
export function redactSecrets(log: Logger): Logger {
  return log.child({}, { redact: { paths: secretPaths, censor: "[redacted]" } });
}
