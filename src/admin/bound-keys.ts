import type { KeyRecord, KeyStore } from '../storage/ports.js';

/** The unrevoked client keys bound to a channel: their traffic goes only there. */
export async function keysBoundTo(keys: Pick<KeyStore, 'list'>, channelId: string): Promise<KeyRecord[]> {
  return (await keys.list()).filter((k) => k.channelId === channelId && k.revokedAt === null);
}

/** `"a", "b", "c", "d", "e", …`: the first five names, for a message. */
export function keyNames(bound: readonly KeyRecord[]): string {
  const names = bound.slice(0, 5).map((k) => `"${k.name}"`);
  return `${names.join(', ')}${bound.length > 5 ? ', …' : ''}`;
}
