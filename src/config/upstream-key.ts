/** An upstream key goes into an HTTP header: anything but visible ASCII would fail on every request. */
export function isHeaderSafeKey(key: string): boolean {
  return /^[\x21-\x7e]+$/.test(key);
}

/**
 * Why an upstream key cannot be sent in a header, in words that never quote it: a secret file's
 * trailing newline or a pasted `Bearer ` prefix reaches a config file through `${NAME}` unseen.
 * Null when it can be sent.
 */
export function upstreamKeyProblem(key: string): string | null {
  if (isHeaderSafeKey(key)) return null;
  const found = /[\r\n]/.test(key)
    ? 'a line break (a trailing newline from a secret file?)'
    : /[ \t]/.test(key)
      ? 'a space or a tab'
      : // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it looks for.
        /[\x00-\x1f\x7f]/.test(key)
        ? 'a control character'
        : 'a character outside ASCII';
  return `holds ${found}: an upstream key may hold only visible ASCII characters (it is sent in a header)`;
}
