import { credentials, ServerCredentials, type ChannelCredentials } from "@grpc/grpc-js";
import { readFileSync } from "node:fs";
import type { ConfigProblem } from "./config.ts";
import { z } from "./config.ts";

const TLS_VARIABLES = ["GRPC_TLS_CA", "GRPC_TLS_CERT", "GRPC_TLS_KEY"] as const;

/**
 * Transport security of a service's gRPC, read by the kit for every service: the paths of the CA
 * certificate (PEM) that signs every service's certificate, of this service's certificate chain
 * and of its private key. All three or none: with them, the RPC server requires client
 * certificates signed by the CA (mutual TLS) and every kit client presents this service's; without
 * them, gRPC is plaintext (embedded mode, on loopback).
 */
export const TlsConfig = z.object({
  GRPC_TLS_CA: z.string().min(1).optional(),
  GRPC_TLS_CERT: z.string().min(1).optional(),
  GRPC_TLS_KEY: z.string().min(1).optional(),
});

export type TlsSettings = z.infer<typeof TlsConfig>;

/** The PEM contents of a service's CA, certificate chain and key. */
export interface TlsMaterial {
  ca: Buffer;
  cert: Buffer;
  key: Buffer;
}

/**
 * Reads the files `settings` name, adding a problem for each variable missing from a partial set
 * and each file that cannot be read; undefined when TLS is off or something is wrong.
 */
export function readTlsMaterial(problems: ConfigProblem[], settings: TlsSettings): TlsMaterial | undefined {
  const set = TLS_VARIABLES.filter((variable) => settings[variable] !== undefined);
  if (set.length === 0) return undefined;
  const before = problems.length;
  for (const variable of TLS_VARIABLES) {
    if (settings[variable] === undefined)
      problems.push({
        variable,
        message: `is required when ${set.join(" and ")} ${set.length > 1 ? "are" : "is"} set`,
      });
  }
  if (problems.length > before) return undefined;
  const read = (variable: (typeof TLS_VARIABLES)[number]): Buffer | undefined => {
    const path = settings[variable] as string;
    try {
      return readFileSync(path);
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
      problems.push({ variable, message: `cannot read ${path} (${reason})` });
      return undefined;
    }
  };
  const [ca, cert, key] = TLS_VARIABLES.map(read);
  return ca && cert && key ? { ca, cert, key } : undefined;
}

/** A server's credentials: TLS requiring a client certificate signed by the CA, or plaintext without `tls`. */
export function serverCredentials(tls: TlsMaterial | undefined): ServerCredentials {
  if (!tls) return ServerCredentials.createInsecure();
  return ServerCredentials.createSsl(tls.ca, [{ cert_chain: tls.cert, private_key: tls.key }], true);
}

/** A client's channel credentials: TLS trusting the CA and presenting the certificate, or plaintext. */
export function channelCredentials(tls: TlsMaterial | undefined): ChannelCredentials {
  if (!tls) return credentials.createInsecure();
  return credentials.createSsl(tls.ca, tls.key, tls.cert);
}
