import { describe, expect, it, vi } from 'vitest';
import { cacheKey } from '../../src/cache/cache-key.js';
import { decideCache } from '../../src/cache/cache-policy.js';
import { GatewayError } from '../../src/errors/gateway-error.js';
import { NO_LIMITS } from '../../src/limits/limit-values.js';
import { createLimiter } from '../../src/limits/limiter.js';
import { formatReset } from '../../src/limits/rate-limit-headers.js';
import { budgetWindow } from '../../src/limits/windows.js';
import { createGptTokenizerCounter } from '../../src/runtime/node/gpt-tokenizer-counter.js';
import { sha256HexSync } from '../../src/runtime/node/sha256.js';
import type { JsonObject } from '../../src/spec/json.js';
import { silentLogger } from '../../src/spec/logger.js';
import type { UsageRecord } from '../../src/spec/usage.js';
import type { UsageStore } from '../../src/storage/accounting-ports.js';
import { createMemoryCounterStore } from '../../src/storage/memory/memory-counters.js';
import { createMemoryUsageStore } from '../../src/storage/memory/memory-usage.js';
import type { UsageJournal } from '../../src/storage/usage-journal.js';
import { createSseTap } from '../../src/streaming/sse-tap.js';
import { blankUsageRecord } from '../../src/usage/blank-record.js';
import { computeCost } from '../../src/usage/cost.js';
import { DEFAULT_PRICES } from '../../src/usage/default-prices.js';
import { estimatePromptTokens } from '../../src/usage/estimate-usage.js';
import { createPriceTable } from '../../src/usage/prices.js';
import { createHeuristicTokenCounter, heuristicTokens } from '../../src/usage/token-counter.js';
import {
  createUsageWriter,
  DRAIN_WAIT_MS,
  HELD_WRITE_MS,
  STALLED_WRITE_MS,
  STORE_WRITE_MS,
} from '../../src/usage/usage-writer.js';
import { waitFor } from '../support/http.js';

describe('price table and cost', () => {
  const table = createPriceTable({
    defaults: DEFAULT_PRICES,
    overrides: { 'my-model': { input: 1, output: 2, currency: 'EUR' } },
    channels: { cheap: { 'gpt-4o': { input: 0.5, output: 1, currency: 'USD' } } },
  });

  it('matches dated and routed model names to the longest entry, and applies overrides', () => {
    expect(table.lookup('gpt-4o-2024-08-06')).toBe(DEFAULT_PRICES['gpt-4o']);
    expect(table.lookup('gpt-4o-mini-2024-07-18')).toBe(DEFAULT_PRICES['gpt-4o-mini']);
    expect(table.lookup('openai/gpt-4.1-mini')).toBe(DEFAULT_PRICES['gpt-4.1-mini']);
    expect(table.lookup('claude-sonnet-4-20250514')).toBe(DEFAULT_PRICES['claude-sonnet-4']);
    expect(table.lookup('my-model')?.currency).toBe('EUR');
    expect(table.lookup('gpt-4o', 'cheap')?.input).toBe(0.5);
    expect(table.lookup('gpt-4o', 'other')?.input).toBe(2.5);
    expect(table.lookup('unknown-model')).toBeNull();
  });

  it('answers a name the same every time it is asked, also after more names than it remembers', () => {
    const asks: [string, string | null, number | undefined][] = [
      ['gpt-4o-2024-08-06', null, DEFAULT_PRICES['gpt-4o']?.input],
      ['gpt-4o-2024-08-06', 'cheap', 0.5],
      ['openai/gpt-4.1-mini', null, DEFAULT_PRICES['gpt-4.1-mini']?.input],
      ['unknown-model', null, undefined],
    ];
    for (let round = 0; round < 3; round++) {
      for (const [name, channel, input] of asks) expect(table.lookup(name, channel)?.input, name).toBe(input);
      // Many names nobody prices, as clients may send.
      for (let i = 0; i < 1_500; i++) expect(table.lookup(`no-such-model-${round}-${i}`)).toBeNull();
    }
  });

  it("gives a name only its own price or a snapshot of one, never a sibling product's", () => {
    // Dated, versioned and deployment-tagged snapshots keep their model's price.
    for (const name of [
      'gpt-4o-2024-08-06',
      'claude-sonnet-4-5-20250929',
      'claude-3-5-sonnet@20240620',
      'claude-3-5-sonnet-latest',
      'anthropic.claude-3-5-sonnet-20240620-v1:0',
      'gemini-2.5-flash-preview-05-20',
      // Names users send every day: Anthropic's aliases, Google's dated previews, OpenRouter's
      // effort and version tags, Groq/Together's instruct ids, Bedrock's cross-region profiles.
      'claude-sonnet-4-0',
      'claude-opus-4-0',
      'gemini-2.5-flash-preview-09-2025',
      'google/gemini-2.5-flash-lite-preview-09-2025',
      'openai/o4-mini-high',
      'openai/o3-mini-high',
      'deepseek/deepseek-chat-v3.1',
      'moonshotai/kimi-k2-instruct',
      'moonshotai/kimi-k2-instruct-0905',
      'us.anthropic.claude-sonnet-4-20250514-v1:0',
    ])
      expect(table.lookup(name), name).not.toBeNull();
    // Other products that merely start with a known name: their own list price, or none (cost
    // null, visible) rather than the other model's.
    expect(table.lookup('o3-mini')).toMatchObject({ input: 1.1, output: 4.4 });
    expect(table.lookup('o3-pro')).toMatchObject({ input: 20, output: 80 });
    expect(table.lookup('claude-opus-4-5')).toMatchObject({ input: 5, output: 25 });
    expect(table.lookup('claude-opus-4-5-20251101')).toMatchObject({ input: 5, output: 25 });
    expect(table.lookup('glm-4.5-flash')).toMatchObject({ input: 0, output: 0 });
    expect(table.lookup('gpt-4o-realtime-preview')).toBeNull();
  });

  it("prices OpenRouter's free variants (`:free`) at nothing", () => {
    expect(table.lookup('deepseek/deepseek-chat:free')).toMatchObject({ input: 0, output: 0 });
    expect(table.lookup('deepseek/deepseek-chat')).toMatchObject({ input: 0.28 });
  });

  it("finds a channel's own prices for its bring-your-own-key copies too", () => {
    expect(table.lookup('gpt-4o', 'cheap+byok:6f1d2c')?.input).toBe(0.5);
  });

  it('prices cached reads, cache writes and reasoning apart from plain tokens', () => {
    const price = {
      input: 3,
      output: 15,
      cachedInput: 0.3,
      cacheWrite: 3.75,
      reasoning: 20,
      currency: 'USD',
    };
    const cost = computeCost(
      {
        promptTokens: 1_000_000,
        completionTokens: 1_000_000,
        totalTokens: 2_000_000,
        cachedTokens: 200_000,
        cacheWriteTokens: 100_000,
        reasoningTokens: 500_000,
      },
      price,
    );
    // 700k fresh x 3 + 200k x 0.3 + 100k x 3.75 + 500k x 15 + 500k x 20, per million
    expect(cost).toBeCloseTo(2.1 + 0.06 + 0.375 + 7.5 + 10, 9);
  });
});

describe('token counter', () => {
  it('counts with the real tokenizers once loaded (o200k for modern OpenAI models)', async () => {
    const counter = createGptTokenizerCounter();
    await counter.ready();
    expect(counter.count('Hello world', 'gpt-4o')).toEqual({ tokens: 2, method: 'tokenizer' });
    expect(counter.count('Hello world', 'deepseek-chat')).toEqual({ tokens: 2, method: 'tokenizer' });
    const body = { model: 'gpt-4o', messages: [{ role: 'user', content: 'Hello world' }] };
    // content + per-message and per-request framing
    expect(estimatePromptTokens(counter, body, 'gpt-4o')).toEqual({ tokens: 2 + 4 + 3, method: 'tokenizer' });
  });

  it('counts each message of a prompt apart, as providers do', async () => {
    const counter = createGptTokenizerCounter();
    await counter.ready();
    const system = 'You answer questions about the railway timetable, briefly.';
    const question = 'When does the last train to the coast leave on Sundays?';
    const body = {
      model: 'gpt-4o',
      messages: [
        { role: 'system', content: system },
        { role: 'user', content: [{ type: 'text', text: question }] },
      ],
    };
    const each = counter.count(system, 'gpt-4o').tokens + counter.count(question, 'gpt-4o').tokens;
    expect(estimatePromptTokens(counter, body, 'gpt-4o')).toEqual({
      tokens: each + 2 * 4 + 3,
      method: 'tokenizer',
    });
  });

  it("counts a Responses request's instructions and input items as a chat request's system and messages", async () => {
    const counter = createGptTokenizerCounter();
    await counter.ready();
    const system = 'You are a careful coding agent. '.repeat(50);
    const chat = {
      model: 'gpt-4o',
      messages: [
        { role: 'system', content: system },
        { role: 'user', content: 'hi' },
        { role: 'assistant', content: 'hello' },
      ],
    };
    const responses: JsonObject = {
      model: 'gpt-4o',
      instructions: system,
      input: [
        { role: 'user', content: 'hi' },
        { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'hello' }] },
        // An opaque reasoning blob is not prompt text.
        { type: 'reasoning', summary: [], encrypted_content: 'gAAAAB'.repeat(500) },
      ],
    };
    const viaChat = estimatePromptTokens(counter, chat, 'gpt-4o').tokens;
    expect(viaChat).toBeGreaterThan(300);
    expect(estimatePromptTokens(counter, responses, 'gpt-4o').tokens).toBe(viaChat + 4);
    const text = estimatePromptTokens(
      counter,
      { model: 'gpt-4o', instructions: system, input: 'hi' },
      'gpt-4o',
    );
    // A text input is not framed as a message (embeddings inputs are texts too).
    expect(text.tokens).toBe(viaChat - counter.count('hello', 'gpt-4o').tokens - 2 * 4);
  });

  it('an empty prompt counts nothing', async () => {
    const counter = createGptTokenizerCounter();
    await counter.ready();
    expect(estimatePromptTokens(counter, { model: 'gpt-4o', prompt: '' }, 'gpt-4o').tokens).toBe(0);
    expect(estimatePromptTokens(counter, { model: 'gpt-4o', input: ['', ''] }, 'gpt-4o').tokens).toBe(0);
  });

  it('the heuristic counter sums the parts before it rounds, and always says heuristic', () => {
    const counter = createHeuristicTokenCounter();
    // Four one-letter texts are four ASCII characters: one token, not four.
    expect(counter.countParts(['a', 'b', 'c', 'd'], 'gpt-4o')).toEqual({ tokens: 1, method: 'heuristic' });
    expect(counter.countParts([], 'gpt-4o')).toEqual({ tokens: 0, method: 'heuristic' });
  });

  it('says it used the heuristic while the tokenizer is not loaded yet', () => {
    const counter = createGptTokenizerCounter();
    expect(counter.count('Hello world, friend', 'gpt-4o')).toEqual({ tokens: 5, method: 'heuristic' });
  });

  it('the heuristic reads the script: ~4 ASCII characters, 1 CJK character, 2 other characters a token', () => {
    expect(heuristicTokens('abcdefgh')).toBe(2);
    expect(heuristicTokens('你好世界')).toBe(4);
    expect(heuristicTokens('こんにちは')).toBe(5);
    expect(heuristicTokens('привет')).toBe(3);
    expect(heuristicTokens('')).toBe(0);
  });
});

/** A usage record numbered i (request id `r<i>`). */
const sampleRecord = (i: number): UsageRecord => ({
  requestId: `r${i}`,
  startedAt: 1_000 + i,
  keyId: 'k',
  userId: 'u',
  operation: 'chat',
  modelAsked: 'm',
  modelServed: 'm',
  channel: 'c',
  upstreamKey: null,
  stream: false,
  status: 200,
  errorCode: null,
  usage: null,
  countSource: null,
  cost: 0,
  prices: null,
  cacheHit: false,
  firstByteMs: null,
  latencyMs: 1,
  attempts: [],
});

describe('usage writer', () => {
  /** A writer without a journal (as on Workers) whose timer never fires within a test. */
  const batchedWriter = (store: UsageStore, maxBatch: number) =>
    createUsageWriter({
      store,
      logger: silentLogger,
      flushIntervalMs: 60_000,
      maxBatch,
      maxBuffered: 1_000,
      now: () => 0,
      retentionMs: null,
    });

  it('writes in batches, keeps records across a failing write, and flushes on close', async () => {
    const inner = createMemoryUsageStore();
    let failNext = true;
    const batches: number[] = [];
    const store: UsageStore = {
      ...inner,
      async insertBatch(records) {
        if (failNext) {
          failNext = false;
          throw new Error('disk full');
        }
        batches.push(records.length);
        await inner.insertBatch(records);
      },
    };
    const writer = batchedWriter(store, 5);
    for (let i = 0; i < 5; i++) writer.add(sampleRecord(i));
    await writer.flush(); // the size-triggered write failed; the records were kept and go now
    expect(batches).toEqual([5]);
    for (let i = 5; i < 8; i++) writer.add(sampleRecord(i));
    await writer.close();
    expect(writer.pending).toBe(0);
    expect(batches.reduce((a, b) => a + b, 0)).toBe(8);
    const page = await inner.list({ limit: 100 });
    expect(page.records.map((r) => r.requestId).sort()).toEqual(
      Array.from({ length: 8 }, (_, i) => `r${i}`).sort(),
    );
  });

  // On Workers the write must start in the flush that takes the batch: that flush runs in the
  // request whose waitUntil holds it. A write queued behind a slow one started later, in the
  // context of whichever request's write had just finished; that request then ended, its I/O
  // was cancelled, the queued write never settled, and every record after it stayed in memory
  // (the Worker CI run lost whole bursts this way).
  it('starts writing a batch while an earlier batch is still being written, and waits for both on close', async () => {
    const inner = createMemoryUsageStore();
    const started: number[] = [];
    let releaseFirst: () => void = () => {};
    const firstHeld = new Promise<void>((resolve) => {
      releaseFirst = resolve;
    });
    const store: UsageStore = {
      ...inner,
      async insertBatch(records) {
        started.push(records.length);
        if (started.length === 1) await firstHeld;
        await inner.insertBatch(records);
      },
    };
    const writer = batchedWriter(store, 2);
    void writer.add(sampleRecord(0));
    const first = writer.add(sampleRecord(1));
    void writer.add(sampleRecord(2));
    const second = writer.add(sampleRecord(3));
    expect(started).toEqual([2, 2]);
    let firstDone = false;
    void first.then(() => {
      firstDone = true;
    });
    await second;
    expect(firstDone).toBe(false);
    writer.add(sampleRecord(4));
    const closed = writer.close();
    releaseFirst();
    await closed;
    await first;
    expect(writer.pending).toBe(0);
    const page = await inner.list({ limit: 100 });
    expect(page.records.map((r) => r.requestId).sort()).toEqual(['r0', 'r1', 'r2', 'r3', 'r4']);
  });
});

describe('usage writer, request-scoped (Workers)', () => {
  // On Workers a timer dies with the request that set it, and a promise resolved for a request
  // that has ended is dropped: a shared flush timer armed by one request (or by a failed write,
  // in a request about to end) left the records of the next ones in memory until some later
  // request came. Each request now holds its own record until it is written.
  const scopedWriter = (store: UsageStore) =>
    createUsageWriter({
      store,
      logger: silentLogger,
      flushIntervalMs: 100,
      maxBatch: 3,
      maxBuffered: 1_000,
      now: Date.now,
      retentionMs: null,
      requestScoped: true,
    });

  it("settles each request's hold only once its own record is written, trying again after a failed write", async () => {
    vi.useFakeTimers();
    try {
      const inner = createMemoryUsageStore();
      let refusing = true;
      const batches: string[][] = [];
      const store: UsageStore = {
        ...inner,
        async insertBatch(records) {
          if (refusing) throw new Error('D1 overloaded');
          batches.push(records.map((r) => r.requestId));
          await inner.insertBatch(records);
        },
      };
      const writer = scopedWriter(store);
      const held = [0, 1].map((i) => {
        const state = { done: false };
        void writer.add(sampleRecord(i)).then(() => {
          state.done = true;
        });
        return state;
      });
      await vi.advanceTimersByTimeAsync(100); // both writes refused: the records are back
      await vi.advanceTimersByTimeAsync(2_000); // and refused again
      expect(held.map((h) => h.done)).toEqual([false, false]);
      expect(writer.pending).toBe(2);
      refusing = false;
      await vi.advanceTimersByTimeAsync(500);
      expect(held.map((h) => h.done)).toEqual([true, true]);
      expect(batches).toEqual([['r0', 'r1']]);
      expect(writer.pending).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });

  it('writes a full batch at once, in the request that filled it', async () => {
    const inner = createMemoryUsageStore();
    const writer = scopedWriter(inner);
    void writer.add(sampleRecord(0));
    void writer.add(sampleRecord(1));
    await writer.add(sampleRecord(2));
    expect((await inner.list({ limit: 10 })).records).toHaveLength(3);
  });

  it("starts no write that would outlive its request's waitUntil (a write taking the edge's whole 20 s)", async () => {
    // At the edge a write to an origin that does not answer takes up to 20 s (its client's bound)
    // and fails; Cloudflare cuts a request's waitUntil work 30 s after the response. A retry
    // started after 10 s is cut off mid-write: it never settles, and the records it took (this
    // request's and any other request's buffered meanwhile) are out of reach for STALLED_WRITE_MS.
    vi.useFakeTimers();
    try {
      const inner = createMemoryUsageStore();
      const startedAt: number[] = [];
      const t0 = Date.now();
      const writer = scopedWriter({
        ...inner,
        async insertBatch() {
          startedAt.push(Date.now() - t0);
          await new Promise((resolve) => setTimeout(resolve, 20_000));
          throw new Error('origin /internal/usage: no time left for another attempt');
        },
      });
      let done = false;
      void writer.add(sampleRecord(0)).then(() => {
        done = true;
      });
      await vi.advanceTimersByTimeAsync(40_000);
      expect(startedAt.length).toBeGreaterThan(0);
      for (const at of startedAt) expect(at + 20_000).toBeLessThanOrEqual(30_000);
      expect(done).toBe(true);
      expect(writer.pending).toBe(1); // still buffered for the next write (or the cron's)
    } finally {
      vi.useRealTimers();
    }
  });

  it('tries a failed write again at most twice a second, however short the flush interval', async () => {
    // usage.flush_interval_ms may be 1: each held request retried a refusing store (at the edge,
    // the origin, up to three POSTs a write) every millisecond.
    vi.useFakeTimers();
    try {
      let writes = 0;
      const writer = createUsageWriter({
        store: {
          ...createMemoryUsageStore(),
          async insertBatch() {
            writes++;
            throw new Error('origin unreachable');
          },
        },
        logger: silentLogger,
        flushIntervalMs: 1,
        maxBatch: 100,
        maxBuffered: 1_000,
        now: Date.now,
        retentionMs: null,
        requestScoped: true,
      });
      void writer.add(sampleRecord(0));
      await vi.advanceTimersByTimeAsync(HELD_WRITE_MS);
      expect(writes).toBeGreaterThan(1);
      expect(writes).toBeLessThanOrEqual(1 + (HELD_WRITE_MS - STORE_WRITE_MS) / 500);
    } finally {
      vi.useRealTimers();
    }
  });

  it('lets a record go after HELD_WRITE_MS, still buffered for the next write', async () => {
    vi.useFakeTimers();
    try {
      const inner = createMemoryUsageStore();
      let refusing = true;
      const writer = scopedWriter({
        ...inner,
        async insertBatch(records) {
          if (refusing) throw new Error('D1 overloaded');
          await inner.insertBatch(records);
        },
      });
      let done = false;
      void writer.add(sampleRecord(0)).then(() => {
        done = true;
      });
      await vi.advanceTimersByTimeAsync(HELD_WRITE_MS);
      expect(done).toBe(true);
      expect(writer.pending).toBe(1);
      refusing = false;
      await writer.flush(); // the cron's flush (or another request's write)
      expect((await inner.list({ limit: 10 })).records.map((r) => r.requestId)).toEqual(['r0']);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('usage writer: a batch write that never settles', () => {
  // On Workers a write whose request was cancelled (waitUntil work ends 30 s after the response)
  // never settles, and its batch was already out of the buffer: its records were lost, and a
  // close or cron flush waiting for every write started hung.
  const stalledWriter = () => {
    const inner = createMemoryUsageStore();
    const clock = { now: 0 };
    let calls = 0;
    const store: UsageStore = {
      ...inner,
      insertBatch(records) {
        calls++;
        return calls === 1 ? new Promise<void>(() => {}) : inner.insertBatch(records);
      },
    };
    const writer = createUsageWriter({
      store,
      logger: silentLogger,
      flushIntervalMs: 60_000,
      maxBatch: 2,
      maxBuffered: 1_000,
      now: () => clock.now,
      retentionMs: null,
    });
    const written = async () => (await inner.list({ limit: 100 })).records.map((r) => r.requestId).sort();
    return { writer, clock, written };
  };

  it('writes its records again with the next batch once it is STALLED_WRITE_MS old', async () => {
    const { writer, clock, written } = stalledWriter();
    void writer.add(sampleRecord(0));
    void writer.add(sampleRecord(1)); // the write of r0, r1 starts and never ends
    clock.now += STALLED_WRITE_MS;
    void writer.add(sampleRecord(2));
    await writer.add(sampleRecord(3));
    expect(await written()).toEqual(['r0', 'r1', 'r2', 'r3']);
    expect(writer.pending).toBe(0);
  });

  it('close waits DRAIN_WAIT_MS for it, no longer, and writes the rest', async () => {
    vi.useFakeTimers();
    try {
      const { writer, written } = stalledWriter();
      void writer.add(sampleRecord(0));
      void writer.add(sampleRecord(1)); // never ends
      void writer.add(sampleRecord(2));
      let closed = false;
      const closing = writer.close().then(() => {
        closed = true;
      });
      await vi.advanceTimersByTimeAsync(DRAIN_WAIT_MS - 1);
      expect(closed).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      await closing;
      expect(await written()).toEqual(['r2']);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('usage writer with a journal', () => {
  /** Folds every 20 ms. */
  const writerOver = (journal: UsageJournal) =>
    createUsageWriter({
      store: createMemoryUsageStore(),
      logger: silentLogger,
      flushIntervalMs: 20,
      maxBatch: 100,
      maxBuffered: 100,
      now: Date.now,
      retentionMs: null,
      journal,
    });

  /** A journal whose first `failures` appends fail (a full disk), then take every record. */
  function failingJournal(failures: number) {
    const written: string[] = [];
    let calls = 0;
    const journal: UsageJournal = {
      open: () => undefined,
      append: async (entry) => {
        calls++;
        if (calls <= failures) throw new Error('SQLITE_FULL: database or disk is full');
        written.push(entry);
      },
      rollUp: async () => 0,
      recover: async () => 0,
    };
    return { journal, written, attempts: () => calls };
  }

  it('retries a failed journal write at every flush until it succeeds, with no new request', async () => {
    const { journal, written, attempts } = failingJournal(3);
    const writer = writerOver(journal);
    const record = blankUsageRecord('r1', 'chat', 1_000);
    await writer.journal?.append('e1', record); // the request's own write fails
    void writer.add(record); // its deferred fold: the only flush the traffic asks for
    await waitFor(() => written.length === 1, 'the record written on a later flush', 5_000);
    expect(attempts()).toBe(4);
    expect(writer.pending).toBe(0);
    await writer.close();
  });

  it('folds at every flush while new writes keep arriving, not only once none is in flight', async () => {
    let folds = 0;
    // Each write is answered when the next one is sent (a Redis XADD under steady load): there
    // is always one in flight.
    let answer = () => {};
    const journal: UsageJournal = {
      open: () => undefined,
      append: () => {
        answer();
        return new Promise<void>((resolve) => {
          answer = resolve;
        });
      },
      rollUp: async () => {
        folds++;
        return 0;
      },
      recover: async () => 0,
    };
    const writer = writerOver(journal);
    const requests = writer.journal as NonNullable<typeof writer.journal>;
    // A request ends every 2 ms.
    let n = 0;
    const traffic = setInterval(() => {
      const record = blankUsageRecord(`r${n}`, 'chat', 1_000);
      void requests.append(`e${n++}`, record);
      void writer.add(record);
    }, 2);
    try {
      await waitFor(() => folds >= 3, 'folds while the traffic goes on', 5_000);
    } finally {
      clearInterval(traffic);
      answer();
    }
    await writer.close();
  });
});

describe('limiter', () => {
  const limits = { ...NO_LIMITS, tpm: 1_000, rpm: 100 };

  it('a budget stops many cheap requests (each under half a micro-dollar) before their records pass it', async () => {
    const counters = createMemoryCounterStore({ now: () => Date.UTC(2026, 2, 15, 12) });
    const limiter = createLimiter({ counters, spentSince: async () => 0 });
    const subject = {
      kind: 'key' as const,
      id: 'cheap',
      limits: { ...NO_LIMITS, budget: 0.001, budgetPeriod: 'month' as const },
    };
    // A 20-token embedding at $0.02 per 1M tokens.
    const cost = computeCost(
      { promptTokens: 20, completionTokens: 0, totalTokens: 20 },
      {
        input: 0.02,
        output: 0,
        currency: 'USD',
      },
    );
    let recorded = 0;
    let admitted = 0;
    for (let i = 0; i < 5_000; i++) {
      const reservation = await limiter.reserve({ subjects: [subject], tokens: 20, cost }).catch(() => null);
      if (!reservation) break;
      admitted++;
      await reservation.settle({ tokens: 20, cost });
      recorded += cost;
    }
    expect(admitted).toBeLessThan(5_000);
    expect(recorded).toBeLessThanOrEqual(0.001 + 1e-12);
    // A cost of whole micro-dollars is charged exactly, float noise and all ($0.0035 = 3,500 µ$).
    const exact = {
      kind: 'key' as const,
      id: 'exact',
      limits: { ...NO_LIMITS, budget: 0.007, budgetPeriod: 'month' as const },
    };
    for (let i = 0; i < 2; i++)
      await (await limiter.reserve({ subjects: [exact], tokens: 1, cost: 0.0035 })).settle({
        tokens: 1,
        cost: 0.0035,
      });
    await expect(limiter.reserve({ subjects: [exact], tokens: 1, cost: 0.000001 })).rejects.toThrow();
  });

  it('says no wait helps a request larger than the whole limit, or a spent total budget', async () => {
    const counters = createMemoryCounterStore({ now: () => 120_000 });
    const limiter = createLimiter({ counters });
    const big = await limiter
      .reserve({ subjects: [{ kind: 'key', id: 'small-tpm', limits }], tokens: 1_500, cost: 0 })
      .catch((e: unknown) => e as GatewayError);
    expect(big).toBeInstanceOf(GatewayError);
    expect((big as GatewayError).code).toBe('rate_limit_exceeded');
    expect((big as GatewayError).headers['retry-after']).toBeUndefined();
    expect((big as GatewayError).headers['x-should-retry']).toBe('false');
    expect((big as GatewayError).message).toContain('1500 tokens');

    const total = { kind: 'key' as const, id: 'total', limits: { ...NO_LIMITS, budget: 0.01 } };
    await (await limiter.reserve({ subjects: [total], tokens: 1, cost: 0.01 })).settle({
      tokens: 1,
      cost: 0.01,
    });
    const spent = await limiter
      .reserve({ subjects: [total], tokens: 1, cost: 0.001 })
      .catch((e: unknown) => e as GatewayError);
    expect((spent as GatewayError).code).toBe('budget_exceeded');
    expect((spent as GatewayError).headers['retry-after']).toBeUndefined();
    expect((spent as GatewayError).headers['x-should-retry']).toBe('false');

    // A request that fits the limit once the window turns is told when.
    const later = { kind: 'key' as const, id: 'later', limits };
    await limiter.reserve({ subjects: [later], tokens: 900, cost: 0 });
    const wait = await limiter
      .reserve({ subjects: [later], tokens: 200, cost: 0 })
      .catch((e: unknown) => e as GatewayError);
    expect((wait as GatewayError).headers['retry-after']).toBe('60');
    expect((wait as GatewayError).headers['x-should-retry']).toBeUndefined();
  });

  it('with several limits used up, says when all of them admit the request, not the first', async () => {
    let now = Date.UTC(2026, 2, 15, 12, 10, 30);
    const counters = createMemoryCounterStore({ now: () => now });
    const limiter = createLimiter({ counters });
    const steady = { kind: 'key' as const, id: 'steady', limits: { ...NO_LIMITS, rpm: 5, rph: 10 } };
    const request = () => limiter.reserve({ subjects: [steady], tokens: 1, cost: 0 });
    // Five requests a minute, two minutes running: the tenth uses up the minute and the hour.
    for (let i = 0; i < 5; i++) await request();
    now += 60_000;
    for (let i = 0; i < 5; i++) await request();
    const refused = (await request().catch((e: unknown) => e)) as GatewayError;
    expect(refused.code).toBe('rate_limit_exceeded');
    expect(refused.message).toContain('10 requests per hour');
    expect(refused.headers['x-ratelimit-reset-requests']).toBe('48m30s');
    // A client that waits as told is admitted, not refused by the limit it was not told about.
    now += Number(refused.headers['retry-after']) * 1000;
    await expect(request()).resolves.toBeDefined();

    // A spent total budget behind a spent rate: no wait helps, and the client is told so.
    const spent = {
      kind: 'key' as const,
      id: 'spent',
      limits: { ...NO_LIMITS, rpm: 1, budget: 0.01 },
    };
    await (await limiter.reserve({ subjects: [spent], tokens: 1, cost: 0.01 })).settle({
      tokens: 1,
      cost: 0.01,
    });
    const final = (await limiter
      .reserve({ subjects: [spent], tokens: 1, cost: 0.001 })
      .catch((e: unknown) => e)) as GatewayError;
    expect(final.code).toBe('budget_exceeded');
    expect(final.headers['retry-after']).toBeUndefined();
    expect(final.headers['x-should-retry']).toBe('false');
  });

  it('tells a request that does not fit what is left of a budget how much is left, not that it is spent', async () => {
    const counters = createMemoryCounterStore({ now: () => Date.UTC(2026, 2, 15, 12) });
    const limiter = createLimiter({ counters });
    const daily = {
      kind: 'key' as const,
      id: 'daily',
      limits: { ...NO_LIMITS, budget: 1, budgetPeriod: 'day' as const },
    };
    await (await limiter.reserve({ subjects: [daily], tokens: 1, cost: 0.9 })).settle({
      tokens: 1,
      cost: 0.9,
    });
    const refused = (await limiter
      .reserve({ subjects: [daily], tokens: 1, cost: 0.2 })
      .catch((e: unknown) => e)) as GatewayError;
    expect(refused.code).toBe('budget_exceeded');
    expect(refused.headers['x-switchboard-budget-remaining']).toBe('0.1');
    expect(refused.message).not.toContain('has used its spending budget');
    expect(refused.message).toContain(
      'more than the 0.1 left of the spending budget of this API key (1, day)',
    );
    expect(refused.message).toContain('Lower max_tokens');
    const whole = (await limiter
      .reserve({ subjects: [daily], tokens: 1, cost: 2 })
      .catch((e: unknown) => e)) as GatewayError;
    expect(whole.message).toContain('more than the whole spending budget of this API key (1, day)');
    // As it says: a smaller request fits now.
    await expect(limiter.reserve({ subjects: [daily], tokens: 1, cost: 0.1 })).resolves.toBeDefined();
  });

  it('tells a request that does not fit the tokens left this minute how many are left, not that the limit is reached', async () => {
    const counters = createMemoryCounterStore({ now: () => Date.UTC(2026, 2, 15, 12, 0, 30) });
    const limiter = createLimiter({ counters });
    const minute = { kind: 'key' as const, id: 'minute-tokens', limits: { ...NO_LIMITS, tpm: 1_000 } };
    await limiter.reserve({ subjects: [minute], tokens: 900, cost: 0 });
    const refused = (await limiter
      .reserve({ subjects: [minute], tokens: 200, cost: 0 })
      .catch((e: unknown) => e)) as GatewayError;
    expect(refused.code).toBe('rate_limit_exceeded');
    expect(refused.headers['x-ratelimit-remaining-tokens']).toBe('100');
    expect(refused.message).not.toContain('reached its limit');
    expect(refused.message).toContain(
      'this request may use 200 tokens (its prompt and max_tokens), more than the 100 left of the limit of this API key of 1000 tokens per minute',
    );
    expect(refused.message).toContain('Lower max_tokens or shorten the prompt.');
    expect(refused.message).toContain('Try again in 30s.');
    // As it says: a smaller request fits now.
    await expect(limiter.reserve({ subjects: [minute], tokens: 100, cost: 0 })).resolves.toBeDefined();
    const spent = (await limiter
      .reserve({ subjects: [minute], tokens: 1, cost: 0 })
      .catch((e: unknown) => e)) as GatewayError;
    expect(spent.message).toBe('this API key reached its limit of 1000 tokens per minute. Try again in 30s.');
  });

  it('refuses a request priced at nothing once a budget is spent (it may still cost when answered)', async () => {
    const counters = createMemoryCounterStore({ now: () => Date.UTC(2026, 2, 15, 12) });
    const limiter = createLimiter({ counters });
    const nothing = { kind: 'key' as const, id: 'nothing', limits: { ...NO_LIMITS, budget: 0 } };
    const refused = (await limiter
      .reserve({ subjects: [nothing], tokens: 10, cost: 0 })
      .catch((e: unknown) => e)) as GatewayError;
    expect(refused.code).toBe('budget_exceeded');
    expect(refused.message).toContain('has used its spending budget of 0');
  });

  it('lets a 50-way parallel burst reserve at most the token limit, then settles to actuals', async () => {
    let now = 120_000;
    const counters = createMemoryCounterStore({ now: () => now });
    const limiter = createLimiter({ counters });
    const subject = { kind: 'key' as const, id: 'k1', limits };
    const results = await Promise.allSettled(
      Array.from({ length: 50 }, () => limiter.reserve({ subjects: [subject], tokens: 90, cost: 0 })),
    );
    const admitted = results.filter((r) => r.status === 'fulfilled');
    expect(admitted).toHaveLength(11);
    const rejected = results.find((r) => r.status === 'rejected');
    const error = (rejected as PromiseRejectedResult).reason as GatewayError;
    expect(error).toBeInstanceOf(GatewayError);
    expect(error.code).toBe('rate_limit_exceeded');
    expect(error.status).toBe(429);
    expect(error.headers['retry-after']).toBe('60');
    expect(error.headers['x-ratelimit-limit-tokens']).toBe('1000');
    expect(error.headers['x-ratelimit-remaining-tokens']).toBe('10');
    // Each admitted request used 40 tokens of its 90: the settled minute frees the difference.
    for (const r of admitted)
      await (r as PromiseFulfilledResult<Awaited<ReturnType<typeof limiter.reserve>>>).value.settle({
        tokens: 40,
        cost: null,
      });
    const used = await counters.peek({ kind: 'count', partition: 'key:k1', name: 'tpm', window: 'minute' });
    expect(used).toBe(440);
    now += 60_000;
    const next = await limiter.reserve({ subjects: [subject], tokens: 900, cost: 0 });
    expect(next.headers['x-ratelimit-remaining-tokens']).toBe('100');
    expect(next.headers['x-ratelimit-reset-requests']).toBe('1m0s');
  });

  it('checks key and user together, all or nothing, and frees concurrency slots on settle', async () => {
    const counters = createMemoryCounterStore({ now: () => 5_000 });
    const limiter = createLimiter({ counters });
    const key = { kind: 'key' as const, id: 'k', limits: { ...NO_LIMITS, rpm: 10 } };
    const user = { kind: 'user' as const, id: 'u', limits: { ...NO_LIMITS, concurrent: 2 } };
    const a = await limiter.reserve({ subjects: [key, user], tokens: 1, cost: 0 });
    await limiter.reserve({ subjects: [key, user], tokens: 1, cost: 0 });
    const third = await limiter
      .reserve({ subjects: [key, user], tokens: 1, cost: 0 })
      .catch((e: unknown) => e);
    expect((third as GatewayError).code).toBe('concurrency_limit_exceeded');
    // The refused request took nothing: the key's rpm counter holds the two admitted only.
    expect(await counters.peek({ kind: 'count', partition: 'key:k', name: 'rpm', window: 'minute' })).toBe(2);
    await a.settle({ tokens: 1, cost: null });
    await a.settle({ tokens: 1, cost: null }); // settling twice frees one slot, not two
    await limiter.reserve({ subjects: [key, user], tokens: 1, cost: 0 });
    const again = await limiter
      .reserve({ subjects: [key, user], tokens: 1, cost: 0 })
      .catch((e: unknown) => e);
    expect((again as GatewayError).code).toBe('concurrency_limit_exceeded');
  });

  it('counts a budget from durable spend and refuses once it is used up', async () => {
    const now = Date.UTC(2026, 2, 15, 12);
    const counters = createMemoryCounterStore({ now: () => now });
    const seen: number[] = [];
    const limiter = createLimiter({
      counters,
      spentSince: async (_subject, since) => {
        seen.push(since);
        return 0.9;
      },
    });
    const subject = {
      kind: 'user' as const,
      id: 'u',
      limits: { ...NO_LIMITS, budget: 1, budgetPeriod: 'month' as const },
    };
    const r = await limiter.reserve({ subjects: [subject], tokens: 10, cost: 0.05 });
    expect(seen).toEqual([Date.UTC(2026, 2, 1)]);
    expect(r.headers['x-switchboard-budget-remaining']).toBe('0.05');
    await r.settle({ tokens: 10, cost: 0.1 });
    const refused = await limiter
      .reserve({ subjects: [subject], tokens: 10, cost: 0 })
      .catch((e: unknown) => e);
    expect((refused as GatewayError).code).toBe('budget_exceeded');
    expect((refused as GatewayError).headers['retry-after']).toBeDefined();
    expect(seen).toHaveLength(1);
  });

  it('seeds a budget once when two instances share the counters and start at once', async () => {
    const now = Date.UTC(2026, 2, 15, 12);
    const counters = createMemoryCounterStore({ now: () => now });
    const subject = {
      kind: 'user' as const,
      id: 'u',
      limits: { ...NO_LIMITS, budget: 1, budgetPeriod: 'month' as const },
    };
    // Two gateway processes: each reads 0.6 of recorded spend; counted twice it would be 1.2.
    const instances = [0, 1].map(() => createLimiter({ counters, spentSince: async () => 0.6 }));
    const results = await Promise.allSettled(
      instances.map((l) => l.reserve({ subjects: [subject], tokens: 1, cost: 0.1 })),
    );
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled']);
    const spent = await counters.peek({
      kind: 'count',
      partition: 'user:u',
      name: 'budget',
      window: 'month',
    });
    expect(spent).toBe(800_000);
  });

  it('keeps the concurrency slot of an open stream past the lease TTL by renewing it', async () => {
    let now = 0;
    const counters = createMemoryCounterStore({ now: () => now });
    const timers: (() => void)[] = [];
    const limiter = createLimiter({
      counters,
      leaseTtlMs: 1_000,
      repeat: (fn) => {
        timers.push(fn);
        return () => timers.splice(timers.indexOf(fn), 1);
      },
    });
    const key = { kind: 'key' as const, id: 'k', limits: { ...NO_LIMITS, concurrent: 1 } };
    const open = await limiter.reserve({ subjects: [key], tokens: 1, cost: 0 });
    for (let i = 0; i < 5; i++) {
      now += 500;
      for (const renew of timers) renew();
    }
    await Promise.resolve();
    const refused = await limiter.reserve({ subjects: [key], tokens: 1, cost: 0 }).catch((e: unknown) => e);
    expect((refused as GatewayError).code).toBe('concurrency_limit_exceeded');
    await open.settle({ tokens: 1, cost: null });
    expect(timers).toHaveLength(0);
    await limiter.reserve({ subjects: [key], tokens: 1, cost: 0 });
  });

  it('stops renewing a lease the store no longer holds (it expired and went to someone else)', async () => {
    let now = 0;
    const counters = createMemoryCounterStore({ now: () => now });
    const timers: (() => void)[] = [];
    const limiter = createLimiter({
      counters,
      leaseTtlMs: 1_000,
      repeat: (fn) => {
        timers.push(fn);
        return () => timers.splice(timers.indexOf(fn), 1);
      },
    });
    const key = { kind: 'key' as const, id: 'k', limits: { ...NO_LIMITS, concurrent: 1 } };
    await limiter.reserve({ subjects: [key], tokens: 1, cost: 0 }); // never settled, never renewed in time
    expect(timers).toHaveLength(1);
    now += 2_000;
    for (const renew of [...timers]) renew();
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(timers).toHaveLength(0);
  });

  it('frees the slot of a holder that never settles once its lease TTL passes', async () => {
    let now = 0;
    const counters = createMemoryCounterStore({ now: () => now });
    const limiter = createLimiter({ counters, leaseTtlMs: 1_000 });
    const key = { kind: 'key' as const, id: 'k', limits: { ...NO_LIMITS, concurrent: 1 } };
    await limiter.reserve({ subjects: [key], tokens: 1, cost: 0 }); // its process "crashed"
    const refused = await limiter.reserve({ subjects: [key], tokens: 1, cost: 0 }).catch((e: unknown) => e);
    expect((refused as GatewayError).code).toBe('concurrency_limit_exceeded');
    now += 1_000;
    await expect(limiter.reserve({ subjects: [key], tokens: 1, cost: 0 })).resolves.toBeDefined();
  });

  it('aligns budget periods to UTC calendar boundaries and formats resets like OpenAI', () => {
    const wed = Date.UTC(2026, 0, 7, 15);
    expect(budgetWindow(wed, 'week').start).toBe(Date.UTC(2026, 0, 5));
    expect(budgetWindow(wed, 'day')).toEqual({ start: Date.UTC(2026, 0, 7), end: Date.UTC(2026, 0, 8) });
    expect(budgetWindow(wed, 'month').end).toBe(Date.UTC(2026, 1, 1));
    expect(formatReset(20)).toBe('20ms');
    expect(formatReset(6 * 60_000)).toBe('6m0s');
  });
});

describe('SSE accounting', () => {
  const encoder = new TextEncoder();
  const chunk = (text: string) => encoder.encode(text);
  const usageEvent =
    'data: {"id":"x","object":"chat.completion.chunk","choices":[],"usage":{"prompt_tokens":5,"completion_tokens":2,"total_tokens":7}}\n\n';
  const events = [
    'data: {"id":"x","choices":[{"index":0,"delta":{"content":"Hé"}}]}\n\n',
    'data: {"id":"x","choices":[{"index":0,"delta":{"content":"llo"},"finish_reason":"stop"}]}\n\n',
    usageEvent,
    'data: [DONE]\n\n',
  ];
  const whole = events.join('');

  it('holds at most 2 MiB of an event that does not end, forwarding the rest byte for byte', () => {
    const tap = createSseTap({ secrets: [], stripUsage: false });
    const piece = chunk('x'.repeat(16 * 1024));
    const out: Uint8Array[] = [tap.push(chunk('data: '))];
    for (let i = 0; i < 512; i++) out.push(tap.push(piece)); // 8 MiB and no blank line
    const forwarded = out.reduce((sum, part) => sum + part.byteLength, 0);
    expect(forwarded).toBeGreaterThanOrEqual(6 + 512 * piece.byteLength - (2 << 20) - piece.byteLength);
    out.push(tap.flush());
    expect(Buffer.concat(out).toString()).toBe(`data: ${'x'.repeat(512 * 16 * 1024)}`);
  });

  it('forwards events ended by bare carriage returns as they arrive', () => {
    const tap = createSseTap({ secrets: [], stripUsage: false });
    const event = 'data: {"id":"x","choices":[{"index":0,"delta":{"content":"a"}}]}\r\r';
    expect(Buffer.from(tap.push(chunk(event))).toString()).toBe(event);
  });

  it('drops only the usage event, forwarding every other byte exactly, across any chunking', () => {
    const bytes = encoder.encode(whole);
    for (const size of [1, 3, 7, 64, bytes.length]) {
      const acc = createSseTap({ secrets: [], stripUsage: true });
      const out: number[] = [];
      for (let i = 0; i < bytes.length; i += size) out.push(...acc.push(bytes.subarray(i, i + size)));
      out.push(...acc.flush());
      expect(new TextDecoder().decode(new Uint8Array(out))).toBe(whole.replace(usageEvent, ''));
      expect(acc.usage()).toEqual({ promptTokens: 5, completionTokens: 2, totalTokens: 7 });
    }
  });

  it('forwards chunks untouched when not stripping, and keeps the text for estimates', () => {
    const acc = createSseTap({ secrets: [], stripUsage: false });
    const first = chunk(events[0] ?? '');
    expect(acc.push(first)).toBe(first);
    acc.push(chunk(events[1] ?? ''));
    acc.flush();
    expect(acc.usage()).toBeNull();
    expect(acc.completionText()).toBe('Héllo');
  });
});

describe('response cache policy and key', () => {
  const settings = { enabled: true, ttlMs: 1_000, sampled: false, disabledKeys: ['nocache'] };
  const base = {
    operation: 'chat' as const,
    cacheControl: null,
    optIn: null,
    keyId: 'k1',
    keyName: 'one',
    temperature: 0,
  };

  it('caches temperature 0 only, unless asked; honours no-cache, no-store and the key switch', () => {
    const json = { model: 'm', messages: [], temperature: 0 };
    expect(decideCache(settings, { ...base, json })).toEqual({ read: true, write: true });
    expect(decideCache(settings, { ...base, json: { model: 'm' }, temperature: undefined })).toEqual({
      read: false,
      write: false,
    });
    expect(
      decideCache(settings, {
        ...base,
        json: { model: 'm', temperature: 0.7 },
        temperature: 0.7,
        optIn: 'on',
      }).read,
    ).toBe(true);
    expect(decideCache(settings, { ...base, json, cacheControl: 'no-cache' })).toEqual({
      read: false,
      write: true,
    });
    expect(decideCache(settings, { ...base, json, cacheControl: 'no-store' }).write).toBe(false);
    expect(decideCache(settings, { ...base, json, keyName: 'nocache' }).read).toBe(false);
    // An embedding samples nothing: no temperature, still deterministic.
    expect(
      decideCache(settings, {
        ...base,
        operation: 'embeddings',
        json: { model: 'm', input: 'x' },
        temperature: undefined,
      }),
    ).toEqual({ read: true, write: true });
  });

  it('ignores field order and caller-only fields, and separates tenants', async () => {
    const a = await cacheKey('t1', '/chat/completions', { model: 'm', temperature: 0, user: 'x' });
    const b = await cacheKey('t1', '/chat/completions', { temperature: 0, model: 'm' });
    const c = await cacheKey('t2', '/chat/completions', { temperature: 0, model: 'm' });
    const d = await cacheKey('t1', '/chat/completions', { temperature: 0, model: 'm', max_tokens: 5 });
    expect(a).toBe(b);
    expect(c).not.toBe(a);
    expect(d).not.toBe(a);
  });

  it("gives the same key with Node's synchronous hash, so runtimes sharing a cache find each other's entries", async () => {
    const body = { model: 'm', temperature: 0, messages: [{ role: 'user', content: 'héllo 👋' }] };
    expect(await cacheKey('t1', '/chat/completions', body, sha256HexSync)).toBe(
      await cacheKey('t1', '/chat/completions', body),
    );
  });
});
