import { type ButtonProps, useDialog, useMessage } from 'naive-ui';
import { useI18n } from 'vue-i18n';
import { errorText } from '../../api/client';
import type { DataAttrs } from './test-attrs';

export interface ConfirmOptions {
  title: string;
  content: string;
  /** text of the confirm button (e.g. "Delete") */
  confirmText: string;
  /** the destructive call; a failure is shown as a message and the dialog closes */
  action: () => Promise<void>;
}

const confirmButton: ButtonProps & DataAttrs = { type: 'error', 'data-testid': 'confirm-ok' };
const cancelButton: ButtonProps & DataAttrs = { 'data-testid': 'confirm-cancel' };

/**
 * A confirmation dialog for destructive actions; its confirm button has data-testid="confirm-ok"
 * and shows a spinner while the action runs. Must run inside NDialogProvider and NMessageProvider.
 */
export function useConfirm(): (options: ConfirmOptions) => void {
  const dialog = useDialog();
  const message = useMessage();
  const { t } = useI18n();
  return (options) => {
    dialog.warning({
      title: options.title,
      content: options.content,
      positiveText: options.confirmText,
      negativeText: t('common.cancel'),
      positiveButtonProps: confirmButton,
      negativeButtonProps: cancelButton,
      maskClosable: false,
      onPositiveClick: async () => {
        try {
          await options.action();
        } catch (err) {
          message.error(errorText(err));
        }
        return true;
      },
    });
  };
}
