import { userInfo } from 'node:os';
import { Redis } from 'ioredis';
import pg from 'pg';

/**
 * Shared services the slower suites use when present (Postgres, Redis), each the same
 * way. Absent, a suite skips and says why, unless REQUIRE_SERVICES=1 (CI), where a missing
 * service is a failure.
 */
export function serviceMissing(service: string, why: string, suite: string): null {
  if (process.env.REQUIRE_SERVICES === '1') {
    throw new Error(`REQUIRE_SERVICES=1 but ${service} is unreachable (${why}): ${suite} cannot be skipped`);
  }
  console.warn(`SKIPPING ${suite}: ${service} is unreachable (${why})`);
  return null;
}

/** Where to look: TEST_POSTGRES_URL, else the local server (trust auth, database `test`). */
function candidateUrls(): string[] {
  if (process.env.TEST_POSTGRES_URL) return [process.env.TEST_POSTGRES_URL];
  return [userInfo().username, 'postgres'].map((user) => `postgres://${user}@127.0.0.1:5432/test`);
}

/** A Postgres URL that answers, or null (after saying why) when there is none. */
export async function postgresUrl(suite: string): Promise<string | null> {
  let why = 'no URL to try';
  for (const url of candidateUrls()) {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
    try {
      await client.connect();
      await client.query('select 1');
      return url;
    } catch (err) {
      why = `${url.replace(/\/\/[^@]*@/, '//…@')}: ${(err as Error).message}`;
    } finally {
      await client.end().catch(() => {});
    }
  }
  return serviceMissing('Postgres', why, suite);
}

export interface PostgresSchema {
  /** The server URL with this schema as the search_path (what DATABASE_URL is set to). */
  readonly url: string;
  readonly name: string;
  /** Drops the schema and everything in it. */
  drop(): Promise<void>;
}

let made = 0;

/** A new, empty schema for one test (run), so runs never see each other's rows. */
export async function freshSchema(serverUrl: string): Promise<PostgresSchema> {
  const name = `sb_test_${process.pid}_${Date.now().toString(36)}_${made++}`;
  await adminQuery(serverUrl, `create schema ${name}`);
  const joiner = serverUrl.includes('?') ? '&' : '?';
  return {
    name,
    url: `${serverUrl}${joiner}options=${encodeURIComponent(`-c search_path=${name}`)}`,
    drop: () => adminQuery(serverUrl, `drop schema if exists ${name} cascade`),
  };
}

async function adminQuery(url: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

/** Where to look: TEST_REDIS_URL, else the local server. */
function redisCandidate(): string {
  return process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
}

/** A Redis URL that answers PING, or null (after saying why) when there is none. */
export async function redisUrl(suite: string): Promise<string | null> {
  const url = redisCandidate();
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 2_000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.ping();
    return url;
  } catch (err) {
    return serviceMissing('Redis', `${url}: ${(err as Error).message}`, suite);
  } finally {
    client.disconnect();
  }
}

let prefixes = 0;

/** A key prefix no other test (run) uses; `drop` deletes every key under it. */
export function freshRedisPrefix(url: string): { prefix: string; drop(): Promise<void> } {
  const prefix = `sbtest:${process.pid}:${Date.now().toString(36)}:${prefixes++}:`;
  return {
    prefix,
    async drop() {
      const client = new Redis(url, { maxRetriesPerRequest: 1 });
      client.on('error', () => {});
      try {
        let cursor = '0';
        do {
          const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
          cursor = next;
          if (keys.length > 0) await client.del(...keys);
        } while (cursor !== '0');
      } finally {
        client.disconnect();
      }
    },
  };
}
