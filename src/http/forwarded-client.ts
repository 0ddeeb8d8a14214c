import { compileIpAllowlist, isValidCidr } from '../auth/ip-allowlist.js';

/**
 * The client address behind trusted reverse proxies (`server.trusted_proxies`), for key IP
 * allowlists, the admin sign-in lock-out and the audit log.
 *
 * With no trusted proxies the TCP peer is the client and `X-Forwarded-For` is never read: a
 * client could write anything there. With them, a request whose peer is a trusted proxy is
 * counted at the address that proxy says it forwarded for: `X-Forwarded-For` is read from the
 * right (each proxy appends the address it saw), skipping trusted proxies, and the first other
 * address is the client. What the client itself put at the left therefore counts for nothing.
 * An entry that is not an IP address yields null (no address), which no allowlist admits.
 */
export function forwardedClientAddress(
  trustedProxies: readonly string[],
): (peer: string | null, forwardedFor: string | null) => string | null {
  if (trustedProxies.length === 0) return (peer) => peer;
  const trusted = compileIpAllowlist(trustedProxies);
  return (peer, forwardedFor) => {
    if (peer === null || !trusted(peer) || !forwardedFor) return peer;
    const hops = forwardedFor
      .split(',')
      .map((hop) => hop.trim())
      .filter((hop) => hop !== '');
    let client = peer;
    for (let i = hops.length - 1; i >= 0; i--) {
      const hop = hops[i] as string;
      if (hop.includes('/') || !isValidCidr(hop)) return null;
      client = hop;
      if (!trusted(hop)) return hop;
    }
    // Every hop is a trusted proxy: the furthest one is the nearest thing to a client.
    return client;
  };
}
