import type { DataTableSortState } from 'naive-ui';
import { type Ref, ref } from 'vue';

export type SortOrder = 'ascend' | 'descend' | false;

const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });

/** Names in natural order (`key-2` before `key-10`), ignoring case. */
export function compareText(a: string, b: string): number {
  return collator.compare(a, b);
}

/** An ISO timestamp as milliseconds; null (and unparsable) stays null. */
function time(value: string | null): number | null {
  if (value === null) return null;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : ms;
}

/** Timestamps in time order; null counts as later than any date (say, an expiry of “never”). */
export function compareTime(a: string | null, b: string | null): number {
  const x = time(a);
  const y = time(b);
  if (x === null || y === null) return x === y ? 0 : x === null ? 1 : -1;
  return x - y;
}

/**
 * A table's sort state, held here so the columns can read it (Naive UI's controlled `sortOrder`):
 * bind `update` to the table's `@update:sorter` and give each sortable column `sortOrder: order(key)`.
 * Nothing is sorted until a header is clicked, so the list keeps its own order by default.
 */
export interface TableSort {
  state: Ref<{ columnKey: string | number; order: SortOrder } | null>;
  order: (columnKey: string) => SortOrder;
  update: (sorter: DataTableSortState | DataTableSortState[] | null) => void;
}

export function useTableSort(): TableSort {
  const state: TableSort['state'] = ref(null);
  return {
    state,
    order: (columnKey) => (state.value?.columnKey === columnKey ? state.value.order : false),
    update: (sorter) => {
      const s = Array.isArray(sorter) ? (sorter[0] ?? null) : sorter;
      state.value = s?.order ? { columnKey: s.columnKey, order: s.order } : null;
    },
  };
}

/**
 * Compares by a value that may be missing, keeping the rows without one at the end whichever way the
 * column is sorted (the table flips the result for a descending sort, so this flips them back).
 */
export function nullsLast<Row, V>(
  value: (row: Row) => V | null,
  compare: (a: V, b: V) => number,
  order: () => SortOrder,
): (a: Row, b: Row) => number {
  return (a, b) => {
    const x = value(a);
    const y = value(b);
    if (x === null || y === null) {
      if (x === y) return 0;
      const last = x === null ? 1 : -1;
      return order() === 'descend' ? -last : last;
    }
    return compare(x, y);
  };
}
