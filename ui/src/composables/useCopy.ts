import { useMessage } from 'naive-ui';
import { useI18n } from 'vue-i18n';

/** Copies text to the clipboard and says so (a toast); must run inside NMessageProvider. */
export function useCopy(): (text: string) => Promise<boolean> {
  const message = useMessage();
  const { t } = useI18n();
  return async (text: string) => {
    try {
      await navigator.clipboard.writeText(text);
      message.success(t('common.copied'));
      return true;
    } catch {
      message.error(t('common.copyFailed'));
      return false;
    }
  };
}
