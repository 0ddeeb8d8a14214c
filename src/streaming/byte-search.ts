const encoder = new TextEncoder();

/**
 * Finds any of a fixed set of texts in UTF-8 bytes without decoding them. UTF-8 is
 * self-synchronising, so a text occurs in the decoded bytes exactly when its encoding occurs in
 * the bytes (for valid UTF-8; an invalid sequence decodes to U+FFFD, which is why a needle
 * holding one is reported as always possibly present).
 */
export function createByteSearch(needles: readonly string[]): (bytes: Uint8Array) => boolean {
  if (needles.some((needle) => needle.includes('\uFFFD') || needle.length === 0)) return () => true;
  const encoded = needles.map((needle) => encoder.encode(needle));
  return (bytes) => encoded.some((needle) => contains(bytes, needle));
}

function contains(bytes: Uint8Array, needle: Uint8Array): boolean {
  const first = needle[0] as number;
  const last = bytes.byteLength - needle.byteLength;
  // indexOf finds candidate starts natively; only those are compared byte by byte.
  for (let at = bytes.indexOf(first); at !== -1 && at <= last; at = bytes.indexOf(first, at + 1)) {
    let i = 1;
    while (i < needle.byteLength && bytes[at + i] === needle[i]) i++;
    if (i === needle.byteLength) return true;
  }
  return false;
}
