import type { PeerCertificate } from "node:tls";

/**
 * The name in the verified client certificate of a call over mutual TLS: its subject's common name,
 * else its first subject alternative name (`DNS:orders` → `orders`); undefined over plaintext or
 * without a client certificate. The server only accepts certificates signed by its CA, so this is
 * the calling service's transport identity (token auth still decides what the call may do).
 */
export function peerIdentity(call: {
  // grpc-js's AuthContext (not exported by its index).
  getAuthContext?(): { sslPeerCertificate?: PeerCertificate } | null;
}): string | undefined {
  const certificate = call.getAuthContext?.()?.sslPeerCertificate;
  return certificate ? certificateName(certificate) : undefined;
}

export function certificateName(certificate: PeerCertificate): string | undefined {
  const cn = certificate.subject?.CN;
  const common = Array.isArray(cn) ? cn[0] : cn;
  if (common) return common;
  const first = certificate.subjectaltname?.split(",")[0]?.trim();
  return first ? first.slice(first.indexOf(":") + 1) : undefined;
}
