import { type DataTableColumns, NButton, NSpace, NSwitch, NTooltip } from 'naive-ui';
import { type ComputedRef, computed, h, type Ref } from 'vue';
import { useI18n } from 'vue-i18n';
import { RouterLink } from 'vue-router';
import type { UserView } from '../../api/types';
import { useFormat } from '../../composables/format';
import { compareText, compareTime } from '../crud/sorting';

/** How many keys a user has, and how many of them work. */
export interface KeyCount {
  total: number;
  active: number;
}

export interface UserColumnHandlers {
  /** null while the keys are not counted (or could not be) */
  keyCount: (userId: string) => KeyCount | null;
  toggling: (id: string) => boolean;
  onToggle: (user: UserView, enabled: boolean) => void;
  onOpen: (user: UserView) => void;
  onEdit: (user: UserView) => void;
  onDelete: (user: UserView) => void;
}

/** The user table's columns; texts follow the panel's language. */
export function useUserColumns(
  handlers: UserColumnHandlers,
  /** phone layout: a narrow name column and the action buttons stacked, both still pinned */
  mobile: Ref<boolean>,
): ComputedRef<DataTableColumns<UserView>> {
  const { t } = useI18n();
  const format = useFormat();

  const nameCell = (user: UserView) =>
    h(
      NButton,
      { text: true, type: 'primary', 'data-testid': 'user-open', onClick: () => handlers.onOpen(user) },
      () => user.name,
    );

  const enabledCell = (user: UserView) =>
    h(NTooltip, null, {
      trigger: () =>
        h(NSwitch, {
          value: user.enabled,
          loading: handlers.toggling(user.id),
          'data-testid': 'user-toggle',
          onUpdateValue: (value: boolean) => handlers.onToggle(user, value),
        }),
      default: () => t('users.toggleHint'),
    });

  const keysCell = (user: UserView) => {
    const count = handlers.keyCount(user.id);
    const text = count ? t('users.keyCount', { total: count.total, active: count.active }) : '—';
    return h(
      RouterLink,
      {
        to: { path: '/keys', query: { user_id: user.id } },
        class: 'user-key-count',
        'data-testid': 'user-key-count',
      },
      () => text,
    );
  };

  const actionsCell = (user: UserView) =>
    h(NSpace, { size: 6, wrap: false, vertical: mobile.value }, () => [
      h(NButton, { size: 'small', 'data-testid': 'user-details', onClick: () => handlers.onOpen(user) }, () =>
        t('users.actions.details'),
      ),
      h(NButton, { size: 'small', 'data-testid': 'user-edit', onClick: () => handlers.onEdit(user) }, () =>
        t('users.actions.edit'),
      ),
      h(
        NButton,
        {
          size: 'small',
          type: 'error',
          ghost: true,
          'data-testid': 'user-delete',
          onClick: () => handlers.onDelete(user),
        },
        () => t('users.actions.delete'),
      ),
    ]);

  return computed<DataTableColumns<UserView>>(() => [
    {
      key: 'name',
      title: t('users.columns.name'),
      width: mobile.value ? 120 : 180,
      render: nameCell,
      sorter: (a, b) => compareText(a.name, b.name),
      fixed: 'left',
    },
    {
      key: 'email',
      title: t('users.columns.email'),
      width: 220,
      ellipsis: { tooltip: true },
      render: (user) => user.email ?? t('users.noEmail'),
    },
    { key: 'enabled', title: t('users.columns.enabled'), width: 90, render: enabledCell },
    { key: 'keys', title: t('users.columns.keys'), width: 140, render: keysCell },
    {
      key: 'notes',
      title: t('users.columns.notes'),
      width: 220,
      ellipsis: { tooltip: true },
      render: (user) => user.notes ?? '',
    },
    {
      key: 'created_at',
      title: t('users.columns.created'),
      width: 170,
      render: (user) => format.dateTime(user.created_at),
      sorter: (a, b) => compareTime(a.created_at, b.created_at),
    },
    {
      key: 'actions',
      title: t('users.columns.actions'),
      width: mobile.value ? 96 : 220,
      render: actionsCell,
      fixed: 'right',
    },
  ]);
}

/** Total width of the columns on a wide screen: the table scrolls sideways below it. */
export const USER_TABLE_WIDTH = 1240;
