import type { DataTableColumns } from 'naive-ui';

function px(value: unknown): number | null {
  if (typeof value === 'number') return value;
  if (typeof value === 'string') {
    const n = Number.parseInt(value, 10);
    return Number.isNaN(n) ? null : n;
  }
  return null;
}

/** The sum of the columns' widths (or minimum widths): a table's `scroll-x`, so no column is squeezed out of view. */
export function tableWidth<Row>(columns: DataTableColumns<Row>): number {
  let total = 0;
  for (const column of columns) {
    const c = column as { width?: unknown; minWidth?: unknown };
    total += px(c.width) ?? px(c.minWidth) ?? 100;
  }
  return total;
}
