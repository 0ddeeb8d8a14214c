/**
 * A configured endpoint as the log may show it: scheme, host, port and path. The user and
 * password an operator may put in the URL (`https://tenant:token@collector/…`), and the query
 * string (where some collectors take their token), are left out.
 */
export function urlForLog(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
  } catch {
    return '[unparsable URL]';
  }
}

/** `text` with every occurrence of `url` written as `urlForLog` writes it. */
export function withUrlForLog(text: string, url: string): string {
  return text.includes(url) ? text.split(url).join(urlForLog(url)) : text;
}
