import { PAGE_LIMIT } from '../admin/page-limit.js';
import { openAdminClient, UsageError } from './admin-args.js';
import { AdminCallError, type AdminClient } from './admin-client.js';
import { printTable } from './table.js';

/**
 * Runs one admin subcommand: opens the client (local or --url), maps failures to exit codes
 * (2: wrong command line, 1: the call failed) and always closes the client.
 */
export async function runAdmin(
  usage: string,
  parse: () => { values: { url?: string; 'admin-token'?: string } },
  body: (client: () => Promise<AdminClient>) => Promise<number>,
): Promise<number> {
  let client: AdminClient | null = null;
  try {
    const { values } = parse();
    return await body(async () => {
      client ??= await openAdminClient(values);
      return client;
    });
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`${err.message}\n${usage}`);
      return 2;
    }
    if (err instanceof AdminCallError) {
      console.error(`error: ${err.message} (${err.code})`);
      return 1;
    }
    throw err;
  } finally {
    await (client as AdminClient | null)?.close();
  }
}

/** Prints JSON for --json, otherwise a table of the chosen columns. */
export function output(
  json: boolean,
  data: unknown,
  rows: Record<string, unknown>[],
  columns: string[],
): void {
  if (json) console.log(JSON.stringify(data, null, 2));
  else printTable(rows, columns);
}

/**
 * A list route's rows: the first `limit` (`--limit`, checked by parseLimit), or every row, page by
 * page (`offset`, PAGE_LIMIT.max at a time), so a database with more keys, users or channels than
 * one page holds is listed whole.
 */
export async function listRows(
  client: AdminClient,
  path: string,
  query: Record<string, string | undefined>,
  limit: number | undefined,
): Promise<Record<string, unknown>[]> {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) if (value !== undefined) params.set(name, value);
  const wanted = limit ?? Number.POSITIVE_INFINITY;
  const rows: Record<string, unknown>[] = [];
  for (;;) {
    const size = Math.min(PAGE_LIMIT.max, wanted - rows.length);
    params.set('limit', String(size));
    params.set('offset', String(rows.length));
    const answer = await client.request('GET', `${path}?${params}`);
    const page = listData(answer);
    rows.push(...page);
    const total = (answer as { total?: number }).total;
    if (page.length < size || rows.length >= wanted || (total !== undefined && rows.length >= total))
      return rows;
  }
}

export function listData(answer: unknown): Record<string, unknown>[] {
  return ((answer as { data?: Record<string, unknown>[] }).data ?? []) as Record<string, unknown>[];
}

export function yesNo(value: unknown): string {
  return value ? 'yes' : 'no';
}
