import { useMessage } from 'naive-ui';
import { computed, shallowRef } from 'vue';
import { useI18n } from 'vue-i18n';
import { api, errorText } from '../api/client';
import type { KeyView, ListOf, UserView } from '../api/types';

/**
 * Names for ids in usage and logs: key id → key name, user id → user name. Loads GET /keys and
 * GET /users (first 500 of each); an id it does not know is shown by its last 4 characters
 * ("deleted key …abcd" once the full list is known not to hold it). A failed load keeps the
 * names it had and says why in a message.
 */
export function useLookups() {
  const { t } = useI18n();
  const message = useMessage();
  const keys = shallowRef<KeyView[]>([]);
  const users = shallowRef<UserView[]>([]);
  /** whether each list was loaded in full: an id missing from it then belongs to a deleted item */
  const keysComplete = shallowRef(false);
  const usersComplete = shallowRef(false);
  const keyById = computed(() => new Map(keys.value.map((k) => [k.id, k])));
  const userById = computed(() => new Map(users.value.map((u) => [u.id, u])));

  async function load(): Promise<void> {
    const [k, u] = await Promise.allSettled([
      api<ListOf<KeyView>>('GET', '/keys?limit=500'),
      api<ListOf<UserView>>('GET', '/users?limit=500'),
    ]);
    if (k.status === 'fulfilled') {
      keys.value = k.value.data;
      keysComplete.value = k.value.total <= k.value.data.length;
    }
    if (u.status === 'fulfilled') {
      users.value = u.value.data;
      usersComplete.value = u.value.total <= u.value.data.length;
    }
    const reasons = new Set<string>();
    for (const result of [k, u]) if (result.status === 'rejected') reasons.add(errorText(result.reason));
    for (const reason of reasons) message.error(t('common.lookupsFailed', { message: reason }));
  }

  /** An id without a name: its last characters, marked deleted when the full list lacks it (never a bare UUID). */
  const unnamed = (id: string, deleted: boolean, kind: 'Key' | 'User'): string =>
    t(deleted ? `common.deleted${kind}` : `common.some${kind}`, { id: id.slice(-4) });
  const keyName = (id: string | null | undefined): string =>
    id ? (keyById.value.get(id)?.name ?? unnamed(id, keysComplete.value, 'Key')) : '—';
  const userName = (id: string | null | undefined): string =>
    id ? (userById.value.get(id)?.name ?? unnamed(id, usersComplete.value, 'User')) : '—';
  const keyOwner = (id: string | null | undefined): string | null =>
    id ? (keyById.value.get(id)?.user_id ?? null) : null;

  return { keys, users, keyById, userById, load, keyName, userName, keyOwner };
}
