import { computed, ref, shallowRef } from 'vue';
import { errorText } from '../../api/client';

/**
 * A list page's items, fetched whole by `fetchAll`: `loading` while a load runs, `loaded` once one
 * has succeeded, `error` says why the last one failed; a load started later wins over one still
 * in flight (a filter changed before the previous answer came). `put` takes an item the server
 * answered (replacing the one with its id, or added at the end), `drop` removes one.
 */
export function useList<T extends { id: string }>(fetchAll: () => Promise<T[]>) {
  const items = shallowRef<T[]>([]);
  const loading = ref(false);
  const loaded = ref(false);
  const error = ref<string | null>(null);
  const isEmpty = computed(() => loaded.value && items.value.length === 0);

  let latest = 0;

  async function load(): Promise<void> {
    const mine = ++latest;
    loading.value = true;
    error.value = null;
    try {
      const fetched = await fetchAll();
      if (mine !== latest) return;
      items.value = fetched;
      loaded.value = true;
    } catch (err) {
      if (mine === latest) error.value = errorText(err);
    } finally {
      if (mine === latest) loading.value = false;
    }
  }

  function put(item: T): void {
    const exists = items.value.some((i) => i.id === item.id);
    items.value = exists ? items.value.map((i) => (i.id === item.id ? item : i)) : [...items.value, item];
  }

  function drop(id: string): void {
    items.value = items.value.filter((i) => i.id !== id);
  }

  return { items, loading, loaded, error, isEmpty, load, put, drop };
}
