import { computed, ref, shallowRef } from 'vue';
import { errorText } from '../../api/client';

/**
 * A list page's items, fetched whole by `fetchAll`: `loading` while a load runs, `loaded` once one
 * has succeeded, `error` says why the last one failed. `put` takes an item the server answered
 * (replacing the one with its id, or added at the end), `drop` removes one.
 */
export function useList<T extends { id: string }>(fetchAll: () => Promise<T[]>) {
  const items = shallowRef<T[]>([]);
  const loading = ref(false);
  const loaded = ref(false);
  const error = ref<string | null>(null);
  const isEmpty = computed(() => loaded.value && items.value.length === 0);

  async function load(): Promise<void> {
    loading.value = true;
    error.value = null;
    try {
      items.value = await fetchAll();
      loaded.value = true;
    } catch (err) {
      error.value = errorText(err);
    } finally {
      loading.value = false;
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
