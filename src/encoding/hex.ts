/** Lower-case hex of bytes: the one encoder for digests and tokens across the codebase. */
export function toHex(bytes: Uint8Array | ArrayBuffer): string {
  const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  let hex = '';
  for (const byte of view) hex += HEX_PAIRS[byte];
  return hex;
}

// A lookup table: one string concatenation per byte instead of toString + padStart.
const HEX_PAIRS = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0'));
