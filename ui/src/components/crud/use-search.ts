import { computed, type Ref, ref } from 'vue';

/** Text a row can be found by; empty values are skipped. */
export type SearchFields<T> = (item: T) => ReadonlyArray<string | null | undefined>;

/**
 * A client-side search over a list loaded whole: `query` is the search box's text, `filtered` the
 * items one of whose `fields` contains it (ignoring case and surrounding spaces; all of them while
 * it is blank), `noMatch` is true when a search hides every item of a non-empty list.
 */
export function useSearch<T>(items: Ref<readonly T[]>, fields: SearchFields<T>) {
  const query = ref('');
  const needle = computed(() => query.value.trim().toLocaleLowerCase());
  const active = computed(() => needle.value !== '');

  const filtered = computed<T[]>(() => {
    const n = needle.value;
    if (n === '') return items.value as T[];
    return items.value.filter((item) => fields(item).some((f) => f?.toLocaleLowerCase().includes(n)));
  });
  const noMatch = computed(() => active.value && items.value.length > 0 && filtered.value.length === 0);

  function clear(): void {
    query.value = '';
  }

  return { query, active, filtered, noMatch, clear };
}
