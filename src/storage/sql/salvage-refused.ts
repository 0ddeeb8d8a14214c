/**
 * Batches of usage records written to a database that may refuse one record for what it holds
 * (Postgres: a NUL in text, a number out of range, an index entry too large), where a retry of
 * the whole batch would fail the same way for good and hold back every record after it.
 */

/**
 * Whether the database refused a write for the values in it rather than for itself being away:
 * a Postgres data exception (SQLSTATE class 22: a NUL in text, a number out of range, a malformed
 * value) or a program limit (class 54: an index entry too large). Connection failures (class 08,
 * 57, Node socket errors) do not match: those batches are retried whole.
 */
export function refusedForData(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^(22|54)[0-9A-Z]{3}$/.test(code);
}

/** What happened to a record the database refused. */
export type Salvage = 'storable' | 'ascii' | 'dropped';

/**
 * Writes `batch` with `write` (one transaction). A batch refused for its data is written in
 * halves, until the refused record is alone; that one is written in its storable form, then in
 * its ASCII form, and dropped only if even that is refused, so that shipping goes on whatever a
 * record holds. `report` is told of each such record (the database's message may quote the
 * refused value: never a secret, records hold none). Halves land in separate transactions: the
 * writes must be idempotent (a retry of the whole adds nothing twice), and order is kept, so
 * writers that lock rows in batch order still do.
 */
export async function writeSalvaging<T>(
  batch: readonly T[],
  write: (items: readonly T[]) => Promise<void>,
  forms: { storable(item: T): T; ascii(item: T): T },
  report: (item: T, outcome: Salvage, reason: string) => void,
): Promise<void> {
  try {
    await write(batch);
  } catch (err) {
    if (!refusedForData(err)) throw err;
    if (batch.length > 1) {
      const half = Math.ceil(batch.length / 2);
      await writeSalvaging(batch.slice(0, half), write, forms, report);
      await writeSalvaging(batch.slice(half), write, forms, report);
      return;
    }
    const [refused] = batch as [T];
    const reason = err instanceof Error ? err.message : String(err);
    for (const [outcome, form] of [
      ['storable', forms.storable],
      ['ascii', forms.ascii],
    ] as const) {
      try {
        await write([form(refused)]);
        report(refused, outcome, reason);
        return;
      } catch (again) {
        if (!refusedForData(again)) throw again;
      }
    }
    report(refused, 'dropped', reason);
  }
}
