import type { GatewayCluster, Instance } from './gateway-cluster.js';

/** What one client request came to. */
export interface Outcome {
  readonly id: string;
  readonly instance: string;
  /** 0 when the connection failed (instance killed, refused). */
  readonly status: number;
  readonly code: string | null;
  /** The client holds a complete answer (a JSON body with choices, or a stream up to [DONE]). */
  readonly answered: boolean;
  readonly startedAt: number;
  readonly cacheHeader: string | null;
  readonly text: string;
}

export interface ChatInput {
  readonly key: string;
  readonly model: string;
  readonly id?: string;
  readonly stream?: boolean;
  readonly content?: string;
  readonly extra?: Record<string, unknown>;
  readonly headers?: Record<string, string>;
  readonly signal?: AbortSignal;
}

let serial = 0;

/** One chat completion on `instance`; never throws (a dead instance is status 0). */
export async function chat(instance: Instance, input: ChatInput): Promise<Outcome> {
  const id = input.id ?? `cluster-${process.pid}-${serial++}`;
  const startedAt = Date.now();
  const base = { id, instance: instance.name, startedAt };
  try {
    const res = await fetch(`${instance.url}/v1/chat/completions`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${input.key}`,
        'content-type': 'application/json',
        'x-request-id': id,
        ...input.headers,
      },
      body: JSON.stringify({
        model: input.model,
        stream: input.stream ?? false,
        messages: [{ role: 'user', content: input.content ?? `hello ${id}` }],
        ...input.extra,
      }),
      ...(input.signal ? { signal: input.signal } : {}),
    });
    const text = await res.text();
    const answered = res.status === 200 && (input.stream ? text.includes('data: [DONE]') : hasChoices(text));
    let code: string | null = null;
    if (res.status !== 200) {
      try {
        code = (JSON.parse(text) as { error?: { code?: string } }).error?.code ?? null;
      } catch {
        code = null;
      }
    }
    return {
      ...base,
      status: res.status,
      code,
      answered,
      cacheHeader: res.headers.get('x-switchboard-cache'),
      text,
    };
  } catch {
    return { ...base, status: 0, code: null, answered: false, cacheHeader: null, text: '' };
  }
}

function hasChoices(text: string): boolean {
  try {
    return Array.isArray((JSON.parse(text) as { choices?: unknown }).choices);
  } catch {
    return false;
  }
}

export interface Load {
  readonly outcomes: Outcome[];
  /** Requests answered so far. */
  answered(): number;
  /** Stops the clients after their current request; resolves once all have. */
  stop(): Promise<Outcome[]>;
}

/**
 * `clients` loops of requests, each to the cluster's next live instance, until stopped: the
 * traffic a load balancer spreads over the instances.
 */
export function startLoad(
  cluster: GatewayCluster,
  clients: number,
  request: (n: number) => Omit<ChatInput, 'id'>,
  label: string,
): Load {
  const outcomes: Outcome[] = [];
  let stopped = false;
  let count = 0;
  const loops = Array.from({ length: clients }, async (_, client) => {
    for (let n = 0; !stopped; n++) {
      let instance: Instance;
      try {
        instance = cluster.next();
      } catch {
        return;
      }
      const outcome = await chat(instance, { ...request(count++), id: `${label}-${client}-${n}` });
      outcomes.push(outcome);
    }
  });
  return {
    outcomes,
    answered: () => outcomes.filter((o) => o.answered).length,
    async stop() {
      stopped = true;
      await Promise.all(loops);
      return outcomes;
    },
  };
}

/** One request log entry (GET /admin/api/logs). */
export interface LogEntry {
  readonly request_id: string;
  readonly key_id: string | null;
  readonly status: number;
  readonly error_code: string | null;
  readonly cost: number | null;
  readonly cache_hit: boolean;
}

/** Every usage record of a client key, through the admin API (all pages). */
export async function recordsOfKey(cluster: GatewayCluster, keyId: string): Promise<LogEntry[]> {
  const out: LogEntry[] = [];
  let cursor: string | null = null;
  do {
    const query = new URLSearchParams({ key: keyId, limit: '500', ...(cursor ? { cursor } : {}) });
    const res = await cluster.admin('GET', `/logs?${query}`);
    if (res.status !== 200) throw new Error(`GET /admin/api/logs: ${res.status} ${await res.text()}`);
    const page = (await res.json()) as { data: LogEntry[]; next_cursor: string | null };
    out.push(...page.data);
    cursor = page.next_cursor;
  } while (cursor);
  return out;
}

/** Creates a client key through the admin API (on `on`, or the next instance). */
export async function createKey(
  cluster: GatewayCluster,
  fields: Record<string, unknown>,
  on?: Instance,
): Promise<{ id: string; key: string }> {
  const res = await cluster.admin('POST', '/keys', fields, on);
  if (res.status !== 201) throw new Error(`POST /admin/api/keys: ${res.status} ${await res.text()}`);
  return (await res.json()) as { id: string; key: string };
}

/** Polls `check` every 25 ms for up to `ms`; true as soon as it holds, false if it never did. */
export async function holdsWithin(ms: number, check: () => Promise<boolean>): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/**
 * Waits, if needed, until at least `needMs` are left in the current minute: an `rpm` window is
 * the clock minute, and a run that straddles two windows may rightly get twice the limit.
 */
export async function roomInMinute(needMs: number): Promise<void> {
  const left = 60_000 - (Date.now() % 60_000);
  if (left < needMs) await new Promise((resolve) => setTimeout(resolve, left + 100));
}

/** The minute a time falls in (to show a run stayed in one rpm window). */
export const minuteOf = (ms: number): number => Math.floor(ms / 60_000);
