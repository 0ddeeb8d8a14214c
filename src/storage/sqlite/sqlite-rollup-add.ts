import type { Database as BetterSqlite } from 'better-sqlite3';
import { emptyRollup } from '../../usage/rollup.js';
import type { RollupRow } from '../accounting-ports.js';
import { ADDITIVE_COLUMNS, toRollupRow } from '../sql/usage-rows.js';

/** The usage_hourly columns, in toRollupRow's order. */
const HOURLY_COLUMNS = Object.keys(toRollupRow(emptyRollup(0, 'all', '*')));

/** A prepared additive upsert of one hourly rollup row: its deltas are added to what is stored. */
export function prepareRollupAdd(raw: BetterSqlite): (delta: RollupRow) => void {
  const add = raw.prepare(
    `insert into usage_hourly (${HOURLY_COLUMNS.join(', ')}) values (${HOURLY_COLUMNS.map((c) => `@${c}`).join(', ')})
     on conflict (dimension, value, hour) do update set ${ADDITIVE_COLUMNS.map((c) => `${c} = ${c} + excluded.${c}`).join(', ')}`,
  );
  return (delta) => {
    add.run(toRollupRow(delta));
  };
}
