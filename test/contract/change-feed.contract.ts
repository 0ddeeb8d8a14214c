import { describe, expect, it } from 'vitest';
import type { ChangeFeed, ChangeNotice } from '../../src/storage/change-feed.js';
import { eachFresh, eventually, type Opened } from './opened.js';

/**
 * Opens a fresh feed, plus `peer()`: another instance's handle on the same backend (a process-
 * local feed returns itself, since only one process shares it).
 */
export type OpenFeed = () => Promise<Opened<ChangeFeed> & { peer(): ChangeFeed }>;

const key: ChangeNotice = { kind: 'key', id: 'k1', hash: 'ab'.repeat(32) };
const channel: ChangeNotice = { kind: 'channel', id: 'fast' };
const user: ChangeNotice = { kind: 'user', id: 'u1' };

export function runChangeFeedContract(name: string, open: OpenFeed): void {
  describe(`change feed contract: ${name}`, () => {
    let peer: () => ChangeFeed = () => {
      throw new Error('not open');
    };
    const feed = eachFresh(async () => {
      const opened = await open();
      peer = opened.peer;
      return opened;
    });

    it('delivers every notice to two subscribers, in publish order', async () => {
      const first: ChangeNotice[] = [];
      const second: ChangeNotice[] = [];
      feed().subscribe((n) => {
        first.push(n);
      });
      peer().subscribe((n) => {
        second.push(n);
      });
      for (const notice of [key, channel, user]) await feed().publish(notice);
      await eventually(() => second.length === 3, 'the second subscriber got all three');
      expect(first).toEqual([key, channel, user]);
      expect(second).toEqual([key, channel, user]);
    });

    it("resolves a publish after this instance's listeners have handled it", async () => {
      let handled = false;
      feed().subscribe(async () => {
        await new Promise((resolve) => setTimeout(resolve, 5));
        handled = true;
      });
      await feed().publish(channel);
      expect(handled).toBe(true);
    });

    it('stops delivering to an unsubscribed listener, and one failing listener stops no other', async () => {
      const kept: ChangeNotice[] = [];
      const dropped: ChangeNotice[] = [];
      feed().subscribe(() => {
        throw new Error('listener broke');
      });
      const stop = feed().subscribe((n) => {
        dropped.push(n);
      });
      feed().subscribe((n) => {
        kept.push(n);
      });
      await feed().publish(key);
      stop();
      await expect(feed().publish(user)).resolves.toBeUndefined();
      expect(kept).toEqual([key, user]);
      expect(dropped).toEqual([key]);
    });
  });
}
