import type { UsageRecord } from '../spec/usage.js';
import type { UsageLogQuery, UsageStore } from '../storage/accounting-ports.js';

/** Most rows one export carries; narrow the filters for more. */
export const EXPORT_MAX_ROWS = 100_000;
const PAGE = 500;

const CSV_COLUMNS: readonly [string, (r: UsageRecord) => string | number | boolean | null][] = [
  ['request_id', (r) => r.requestId],
  ['started_at', (r) => new Date(r.startedAt).toISOString()],
  ['user_id', (r) => r.userId],
  ['key_id', (r) => r.keyId],
  ['operation', (r) => r.operation],
  ['model_asked', (r) => r.modelAsked],
  ['model_served', (r) => r.modelServed],
  ['channel', (r) => r.channel],
  ['upstream_key', (r) => r.upstreamKey],
  ['stream', (r) => r.stream],
  ['status', (r) => r.status],
  ['error_code', (r) => r.errorCode],
  ['prompt_tokens', (r) => r.usage?.promptTokens ?? null],
  ['completion_tokens', (r) => r.usage?.completionTokens ?? null],
  ['cached_tokens', (r) => r.usage?.cachedTokens ?? null],
  ['cache_write_tokens', (r) => r.usage?.cacheWriteTokens ?? null],
  ['reasoning_tokens', (r) => r.usage?.reasoningTokens ?? null],
  ['count_source', (r) => r.countSource],
  ['cost', (r) => r.cost],
  ['currency', (r) => r.prices?.currency ?? null],
  ['cache_hit', (r) => r.cacheHit],
  ['first_byte_ms', (r) => r.firstByteMs],
  ['latency_ms', (r) => r.latencyMs],
  ['attempts', (r) => r.attempts.length],
];

/**
 * One CSV field. Quoted when it holds a comma, quote or line break; a text that a spreadsheet
 * would run as a formula (= + - @ at the start) is prefixed with a quote mark.
 */
function csvField(value: string | number | boolean | null): string {
  if (value === null) return '';
  if (typeof value !== 'string') return String(value);
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

export function csvHeader(): string {
  return `${CSV_COLUMNS.map(([name]) => name).join(',')}\r\n`;
}

export function csvRow(record: UsageRecord): string {
  return `${CSV_COLUMNS.map(([, read]) => csvField(read(record))).join(',')}\r\n`;
}

/**
 * The request log matching `query`, newest first, as a stream of text: pages are read one after
 * another, so memory stays flat however long the export. Stops after EXPORT_MAX_ROWS rows.
 */
export function exportLog(
  usage: UsageStore,
  query: Omit<UsageLogQuery, 'limit' | 'cursor'>,
  format: { header: string; row: (record: UsageRecord) => string },
): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let cursor: string | null = null;
  let sent = 0;
  let started = false;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (!started) {
        started = true;
        if (format.header) controller.enqueue(encoder.encode(format.header));
      }
      const page = await usage.list({ ...query, limit: Math.min(PAGE, EXPORT_MAX_ROWS - sent), cursor });
      const text = page.records.map(format.row).join('');
      if (text) controller.enqueue(encoder.encode(text));
      sent += page.records.length;
      cursor = page.nextCursor;
      if (!cursor || sent >= EXPORT_MAX_ROWS) controller.close();
    },
  });
}
