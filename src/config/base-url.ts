import { z } from 'zod';
import { isPrivateHost } from './private-address.js';

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it looks for.
export const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * A channel base URL as the gateway stores it, or why it cannot be one: http or https only, no
 * credentials, query or fragment; scheme and host lower-cased, no trailing slash. Checked when
 * saved, so a `file:` or `gopher:` URL never waits until the first request to fail.
 */
export function normaliseBaseUrl(input: string): { url: string } | { problem: string } {
  const value = input.trim();
  // The URL parser drops tabs and newlines silently; a pasted value with them is a mistake.
  if (CONTROL.test(value)) return { problem: 'must not contain control characters' };
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return { problem: `must be an absolute http or https URL, e.g. https://api.openai.com/v1` };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    return { problem: `must be an http or https URL, not "${url.protocol}"` };
  if (url.username || url.password)
    return { problem: 'must not contain credentials (user:password@): put upstream keys in "keys"' };
  if (url.search || value.includes('?')) return { problem: 'must not have a query string' };
  if (url.hash || value.includes('#')) return { problem: 'must not have a fragment (#...)' };
  if (!url.hostname) return { problem: 'must name a host' };
  return { url: `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, '')}` };
}

/** The zod form of {@link normaliseBaseUrl}: its output is the normalised URL. */
export const baseUrlSchema = z
  .string()
  .transform((value, ctx) => {
    const result = normaliseBaseUrl(value);
    if ('url' in result) return result.url;
    ctx.addIssue({ code: 'custom', message: `base_url ${result.problem}` });
    return z.NEVER;
  })
  .describe('http(s) URL without credentials, query or fragment; stored without a trailing slash');

/** Why `upstreams.deny_private` refuses this base URL, or null when it does not. */
export function privateBaseUrlProblem(baseUrl: string): string | null {
  let host: string;
  try {
    host = new URL(baseUrl).hostname;
  } catch {
    return null;
  }
  return isPrivateHost(host)
    ? `base_url ${baseUrl} points at a loopback or private address, which upstreams.deny_private refuses`
    : null;
}
