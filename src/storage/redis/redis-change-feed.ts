import { z } from 'zod';
import type { Logger } from '../../spec/logger.js';
import type { ChangeFeed, ChangeNotice } from '../change-feed.js';
import { withDeadline } from '../deadline.js';
import { createMemoryChangeFeed } from '../memory/memory-change-feed.js';
import type { RedisLink } from './redis-link.js';

export interface RedisChangeFeedOptions {
  readonly logger: Logger;
  /** Names this instance on the wire, so it can skip its own echo (default: a random UUID). */
  readonly instanceId?: string;
  /** How long opening waits for the subscription before going on without it (default 2 000 ms). */
  readonly subscribeTimeoutMs?: number;
}

const noticeSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('key'), id: z.string(), hash: z.string() }),
  z.object({ kind: z.literal('channel'), id: z.string() }),
  z.object({ kind: z.literal('user'), id: z.string() }),
  z.object({ kind: z.literal('resync') }),
]);
const messageSchema = z.object({ from: z.string(), notice: noticeSchema });

/**
 * The change feed over Redis pub/sub: PUBLISH on the link's command connection, SUBSCRIBE on a
 * connection of its own (a subscribed connection takes no other commands). This instance's
 * listeners run in `publish` itself (as the contract asks) and its own echo is skipped.
 *
 * Pub/sub keeps nothing: a notice sent while a subscriber was cut off is lost to it. So when the
 * subscription comes back after an outage, this instance's listeners get `{ kind: 'resync' }`
 * (drop every cached key, re-read the channels); and when this instance's PUBLISH failed, it
 * sends a resync to every instance once the link is back.
 */
export async function createRedisChangeFeed(
  link: RedisLink,
  options: RedisChangeFeedOptions,
): Promise<ChangeFeed> {
  const { logger } = options;
  const self = options.instanceId ?? crypto.randomUUID();
  const channel = `${link.prefix}changes`;
  const local = createMemoryChangeFeed();
  const subscriber = link.duplicate();
  let opened = false;
  let closed = false;
  // A notice this instance could not send: the others are owed a resync.
  let owed = false;

  subscriber.on('message', (from: string, text: string) => {
    if (from !== channel) return;
    const parsed = messageSchema.safeParse(safeJson(text));
    if (!parsed.success) {
      logger.warn({ channel }, 'change feed: unreadable message ignored');
      return;
    }
    if (parsed.data.from === self) return;
    void local.publish(parsed.data.notice as ChangeNotice);
  });
  // A 'ready' after the first one is a reconnect: ioredis resubscribes by itself, and once that
  // has gone through, whatever was missed meanwhile is made up for by a resync.
  subscriber.on('ready', () => {
    if (!opened || closed) return;
    subscriber
      .subscribe(channel)
      .then(() => {
        logger.info({ channel }, 'change feed: resubscribed; caches resync');
        return local.publish({ kind: 'resync' });
      })
      .catch((err: unknown) => logger.warn({ err: String(err) }, 'change feed: resubscribe failed'));
  });

  const send = async (notice: ChangeNotice): Promise<void> => {
    try {
      await link.client.publish(channel, JSON.stringify({ from: self, notice }));
    } catch (err) {
      owed = true;
      logger.warn(
        { kind: notice.kind, err: String(err) },
        'change feed: notice not sent; other instances resync when redis returns',
      );
    }
  };
  const stopWatch = link.onChange((up) => {
    if (!up || !owed || closed) return;
    owed = false;
    void send({ kind: 'resync' });
  });

  const subscribed = subscriber.subscribe(channel);
  const notYet = (err: unknown) =>
    logger.warn(
      { err: String(err) },
      'change feed: not subscribed yet; changes from other instances wait for redis',
    );
  // Redis down at start: do not hold the start-up; the first 'ready' subscribes and resyncs.
  const ms = options.subscribeTimeoutMs ?? 2_000;
  if (link.up()) await withDeadline(subscribed, ms, `no answer within ${ms} ms`).catch(notYet);
  else subscribed.catch(notYet);
  opened = true;

  return {
    async publish(notice) {
      await Promise.all([local.publish(notice), send(notice)]);
    },
    subscribe: (listener) => local.subscribe(listener),
    async close() {
      closed = true;
      stopWatch();
      subscriber.disconnect();
      await local.close();
    },
  };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
