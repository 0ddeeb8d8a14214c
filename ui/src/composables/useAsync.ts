import { type Ref, ref, shallowRef } from 'vue';
import { errorText } from '../api/client';

export interface AsyncState<T, A extends unknown[]> {
  data: Ref<T | null>;
  /** readable message of the last failure, or null */
  error: Ref<string | null>;
  loading: Ref<boolean>;
  /** Runs the task; a run started later wins over an earlier one still in flight. Never throws. */
  run: (...args: A) => Promise<T | null>;
}

/**
 * Loading / error / data around an async task (an API call):
 *   const users = useAsync(() => api<ListOf<UserView>>('GET', '/users?limit=500'));
 *   onMounted(users.run);   // users.loading, users.error, users.data in the template
 */
export function useAsync<T, A extends unknown[] = []>(task: (...args: A) => Promise<T>): AsyncState<T, A> {
  const data = shallowRef<T | null>(null) as Ref<T | null>;
  const error = ref<string | null>(null);
  const loading = ref(false);
  let latest = 0;
  async function run(...args: A): Promise<T | null> {
    const mine = ++latest;
    loading.value = true;
    error.value = null;
    try {
      const result = await task(...args);
      if (mine === latest) data.value = result;
      return result;
    } catch (err) {
      if (mine === latest) error.value = errorText(err);
      return null;
    } finally {
      if (mine === latest) loading.value = false;
    }
  }
  return { data, error, loading, run };
}
