import { useMessage } from 'naive-ui';
import { reactive } from 'vue';
import { useI18n } from 'vue-i18n';
import { api, errorText } from '../../api/client';

/**
 * A table row's Enabled switch: PATCHes `{ enabled }` to `<path>/<id>`, hands the answer to
 * `onUpdated` and says so (`<messages>.on` / `.off`); a failure is shown as a message.
 * `isToggling(id)` is true while that row's call runs.
 */
export function useEnabledToggle<T extends { id: string; name: string }>(
  path: string,
  messages: string,
  onUpdated: (updated: T) => void,
) {
  const { t } = useI18n();
  const message = useMessage();
  const toggling = reactive(new Set<string>());

  async function toggle(item: T, enabled: boolean): Promise<void> {
    toggling.add(item.id);
    try {
      const updated = await api<T>('PATCH', `${path}/${encodeURIComponent(item.id)}`, { enabled });
      onUpdated(updated);
      message.success(t(enabled ? `${messages}.on` : `${messages}.off`, { name: item.name }));
    } catch (err) {
      message.error(errorText(err));
    } finally {
      toggling.delete(item.id);
    }
  }

  return { toggle, isToggling: (id: string) => toggling.has(id) };
}
