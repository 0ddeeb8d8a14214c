import { useI18n } from 'vue-i18n';

/** Words for a log entry's `operation` and `error_code`; an unknown value is shown as is. */
export function useLogLabels() {
  const { t, te } = useI18n();
  const operationLabel = (operation: string): string =>
    te(`logs.operation.${operation}`) ? t(`logs.operation.${operation}`) : operation;
  const errorCodeLabel = (code: string): string =>
    te(`logs.errorCode.${code}`) ? t(`logs.errorCode.${code}`) : code;
  return { operationLabel, errorCodeLabel };
}
