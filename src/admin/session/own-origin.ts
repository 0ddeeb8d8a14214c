import type { Context } from 'hono';

/**
 * Whether a request's `Origin` header, when it sends one, is the gateway's own origin: the host
 * the request was sent to, over the scheme it arrived on (`https` also when a TLS-terminating
 * proxy says so in `x-forwarded-proto`). A request with no `Origin` (curl, a script) passes: it
 * is not a browser page acting for the operator. `Origin: null` and sibling subdomains do not.
 */
export function fromOwnOrigin(c: Context): boolean {
  const origin = c.req.header('origin');
  if (origin === undefined) return true;
  let from: URL;
  try {
    from = new URL(origin);
  } catch {
    return false;
  }
  const own = new URL(c.req.url);
  if (from.host !== own.host) return false;
  if (from.protocol === own.protocol) return true;
  const forwarded = c.req.header('x-forwarded-proto')?.split(',')[0]?.trim().toLowerCase();
  return from.protocol === 'https:' && forwarded === 'https';
}
