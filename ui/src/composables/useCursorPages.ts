import { type Ref, ref, type ShallowRef, shallowRef } from 'vue';
import { errorText } from '../api/client';

export interface CursorPage<Row> {
  readonly data: Row[];
  readonly next_cursor: string | null;
}

export interface CursorPages<Row, Q> {
  rows: ShallowRef<Row[]>;
  nextCursor: Ref<string | null>;
  loading: Ref<boolean>;
  loadingMore: Ref<boolean>;
  /** A first page has arrived (so an empty table means "nothing matches"). */
  loaded: Ref<boolean>;
  error: Ref<string | null>;
  /**
   * Loads the first page for `q`; a search started later wins over one still in flight. When it
   * fails for other filters than the rows shown, those rows (and their cursor) are dropped: they
   * would pass for the new filters' answer.
   */
  search(q: Q): Promise<void>;
  /** Appends the next page of the last search, skipping rows already shown. */
  loadMore(): Promise<void>;
}

/** A filtered list read page by page through an admin API cursor (request log, audit log). */
export function useCursorPages<Row, Q>(
  fetchPage: (q: Q, cursor: string | null) => Promise<CursorPage<Row>>,
  rowKey: (row: Row) => string | number,
): CursorPages<Row, Q> {
  const rows = shallowRef<Row[]>([]);
  const nextCursor = ref<string | null>(null);
  const loading = ref(false);
  const loadingMore = ref(false);
  const loaded = ref(false);
  const error = ref<string | null>(null);
  let applied: Q | null = null;
  /** the query of the rows shown (JSON), null before the first answer */
  let shown: string | null = null;
  let generation = 0;

  async function search(q: Q): Promise<void> {
    const mine = ++generation;
    applied = q;
    loading.value = true;
    error.value = null;
    try {
      const page = await fetchPage(q, null);
      if (mine !== generation) return;
      rows.value = page.data;
      nextCursor.value = page.next_cursor;
      loaded.value = true;
      shown = JSON.stringify(q);
    } catch (err) {
      if (mine !== generation) return;
      error.value = errorText(err);
      if (shown !== JSON.stringify(q)) {
        rows.value = [];
        nextCursor.value = null;
        loaded.value = false;
        shown = null;
      }
    } finally {
      if (mine === generation) loading.value = false;
    }
  }

  async function loadMore(): Promise<void> {
    if (!nextCursor.value || loadingMore.value || applied === null) return;
    const mine = generation;
    loadingMore.value = true;
    try {
      const page = await fetchPage(applied, nextCursor.value);
      if (mine !== generation) return;
      const seen = new Set(rows.value.map(rowKey));
      rows.value = [...rows.value, ...page.data.filter((r) => !seen.has(rowKey(r)))];
      nextCursor.value = page.next_cursor;
    } catch (err) {
      if (mine === generation) error.value = errorText(err);
    } finally {
      loadingMore.value = false;
    }
  }

  return { rows, nextCursor, loading, loadingMore, loaded, error, search, loadMore };
}
