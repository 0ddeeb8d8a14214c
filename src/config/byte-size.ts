const UNITS: Record<string, number> = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 };

/** Parses `4mb`, `512kb`, `1048576` into bytes; throws on anything else, and on 0 bytes. */
export function parseByteSize(input: string | number): number {
  if (typeof input === 'number') return input;
  const match = /^\s*(\d+(?:\.\d+)?)\s*(b|kb|mb|gb)?\s*$/i.exec(input);
  if (!match) throw new Error(`not a size: "${input}" (use e.g. 4mb, 512kb or a byte count)`);
  const unit = (match[2] ?? 'b').toLowerCase();
  const bytes = Math.floor(Number(match[1]) * (UNITS[unit] ?? 1));
  // 0 would refuse every body; the number form (`body_limit: 0`) is refused by the schema too.
  if (bytes < 1) throw new Error(`"${input}" is 0 bytes: a size must be at least 1 byte`);
  return bytes;
}
