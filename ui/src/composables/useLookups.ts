import { computed, shallowRef } from 'vue';
import { api } from '../api/client';
import type { KeyView, ListOf, UserView } from '../api/types';

/**
 * Names for ids in usage and logs: key id → key name, user id → user name. Loads GET /keys and
 * GET /users (first 500 of each); an id it does not know is shown as is.
 */
export function useLookups() {
  const keys = shallowRef<KeyView[]>([]);
  const users = shallowRef<UserView[]>([]);
  const keyById = computed(() => new Map(keys.value.map((k) => [k.id, k])));
  const userById = computed(() => new Map(users.value.map((u) => [u.id, u])));

  async function load(): Promise<void> {
    const [k, u] = await Promise.allSettled([
      api<ListOf<KeyView>>('GET', '/keys?limit=500'),
      api<ListOf<UserView>>('GET', '/users?limit=500'),
    ]);
    if (k.status === 'fulfilled') keys.value = k.value.data;
    if (u.status === 'fulfilled') users.value = u.value.data;
  }

  const keyName = (id: string | null | undefined): string => (id ? (keyById.value.get(id)?.name ?? id) : '—');
  const userName = (id: string | null | undefined): string =>
    id ? (userById.value.get(id)?.name ?? id) : '—';
  const keyOwner = (id: string | null | undefined): string | null =>
    id ? (keyById.value.get(id)?.user_id ?? null) : null;

  return { keys, users, keyById, userById, load, keyName, userName, keyOwner };
}
