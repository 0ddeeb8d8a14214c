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

export function listData(answer: unknown): Record<string, unknown>[] {
  return ((answer as { data?: Record<string, unknown>[] }).data ?? []) as Record<string, unknown>[];
}

export function yesNo(value: unknown): string {
  return value ? 'yes' : 'no';
}
