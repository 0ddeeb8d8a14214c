import { type DataTableColumns, NButton, NSpace, NTag, NTooltip } from 'naive-ui';
import { type ComputedRef, computed, h, type Ref } from 'vue';
import { useI18n } from 'vue-i18n';
import type { KeyStatus, KeyView } from '../../api/types';
import { useFormat } from '../../composables/format';
import { session } from '../../session';
import { compareText, compareTime, nullsLast, type TableSort } from '../crud/sorting';

export interface KeyColumnHandlers {
  userName: (id: string) => string;
  channelName: (id: string) => string;
  onEdit: (key: KeyView) => void;
  onRotate: (key: KeyView) => void;
  onRevoke: (key: KeyView) => void;
}

/** The colour of a key's status tag (here and in a user's detail). */
export const KEY_STATUS_TAG: Record<KeyStatus, 'success' | 'error' | 'warning' | 'default'> = {
  active: 'success',
  revoked: 'error',
  expired: 'warning',
  disabled: 'default',
  user_disabled: 'default',
};

/** Sorting by status: usable keys first, then the ones that could work again, then the dead. */
const STATUS_RANK: Record<KeyStatus, number> = {
  active: 0,
  disabled: 1,
  user_disabled: 2,
  expired: 3,
  revoked: 4,
};
const statusRank = (key: KeyView) => STATUS_RANK[key.status] ?? 5;

/** The key table's columns; texts follow the panel's language. */
export function useKeyColumns(
  handlers: KeyColumnHandlers,
  /** phone layout: a narrow name column and the action buttons stacked, both still pinned */
  mobile: Ref<boolean>,
  /** the table's sort state (bind `sort.update` to its `@update:sorter`): "last used" keeps unused keys last */
  sort: TableSort,
): ComputedRef<DataTableColumns<KeyView>> {
  const { t } = useI18n();
  const format = useFormat();
  const byLastUsed = nullsLast<KeyView, string>(
    (key) => key.last_used_at,
    compareTime,
    () => sort.order('last_used_at'),
  );

  const limitLines = (key: KeyView): string[] => {
    const l = key.limits;
    const lines: string[] = [];
    if (l.rpm !== null) lines.push(t('keys.limit.rpm', { n: format.number(l.rpm) }));
    if (l.rph !== null) lines.push(t('keys.limit.rph', { n: format.number(l.rph) }));
    if (l.tpm !== null) lines.push(t('keys.limit.tpm', { n: format.number(l.tpm) }));
    if (l.concurrent !== null) lines.push(t('keys.limit.concurrent', { n: format.number(l.concurrent) }));
    // Budgets are in the deployment's currency, which the session names.
    if (l.budget !== null) lines.push(t('keys.limit.budget', { n: format.cost(l.budget, session.currency) }));
    return lines;
  };

  const nameCell = (key: KeyView) =>
    h('div', { class: 'key-name-cell' }, [
      h('span', { class: 'key-name' }, key.name),
      h('code', { class: 'key-masked', 'data-testid': 'key-masked' }, key.key),
    ]);

  const modelsCell = (key: KeyView) =>
    key.models.length === 0
      ? h('span', { class: 'muted' }, t('keys.allModels'))
      : h(NSpace, { size: 4 }, () => key.models.map((m) => h(NTag, { size: 'small', key: m }, () => m)));

  const limitsCell = (key: KeyView) => {
    const lines = limitLines(key);
    if (lines.length === 0) return h('span', { class: 'muted' }, t('keys.noLimits'));
    return h(
      'div',
      { class: 'key-limits' },
      lines.map((line) => h('div', line)),
    );
  };

  const channelCell = (key: KeyView) => {
    if (key.byok) {
      const byok = key.byok;
      return h(NTooltip, null, {
        trigger: () =>
          h(NSpace, { size: 4, align: 'center', wrap: false }, () => [
            h(NTag, { size: 'small', type: 'info', bordered: false, 'data-testid': 'key-byok' }, () =>
              t('keys.byokTag'),
            ),
            h('span', byok.provider),
          ]),
        default: () => t('keys.byok', { provider: byok.provider, key: byok.key }),
      });
    }
    if (key.channel_id) return h('span', handlers.channelName(key.channel_id));
    return h('span', { class: 'muted' }, t('keys.anyChannel'));
  };

  const statusCell = (key: KeyView) =>
    h(NTooltip, null, {
      trigger: () =>
        h(
          NTag,
          {
            size: 'small',
            bordered: false,
            type: KEY_STATUS_TAG[key.status] ?? 'default',
            'data-testid': 'key-status',
            'data-status': key.status,
          },
          () => t(`keys.status.${key.status}`),
        ),
      default: () => t(`keys.statusHint.${key.status}`),
    });

  const actionsCell = (key: KeyView) => {
    if (key.status === 'revoked') return null;
    return h(NSpace, { size: 6, wrap: false, vertical: mobile.value }, () => [
      h(NButton, { size: 'small', 'data-testid': 'key-edit', onClick: () => handlers.onEdit(key) }, () =>
        t('keys.actions.edit'),
      ),
      h(NButton, { size: 'small', 'data-testid': 'key-rotate', onClick: () => handlers.onRotate(key) }, () =>
        t('keys.actions.rotate'),
      ),
      h(
        NButton,
        {
          size: 'small',
          type: 'error',
          ghost: true,
          'data-testid': 'key-revoke',
          onClick: () => handlers.onRevoke(key),
        },
        () => t('keys.actions.revoke'),
      ),
    ]);
  };

  return computed<DataTableColumns<KeyView>>(() => [
    {
      key: 'name',
      title: t('keys.columns.name'),
      width: mobile.value ? 120 : 210,
      render: nameCell,
      sorter: (a, b) => compareText(a.name, b.name),
      sortOrder: sort.order('name'),
      fixed: 'left',
    },
    {
      key: 'user',
      title: t('keys.columns.user'),
      width: 130,
      ellipsis: { tooltip: true },
      render: (key) => handlers.userName(key.user_id),
    },
    {
      key: 'status',
      title: t('keys.columns.status'),
      width: 110,
      render: statusCell,
      sorter: (a, b) => statusRank(a) - statusRank(b),
      sortOrder: sort.order('status'),
    },
    {
      key: 'purpose',
      title: t('keys.columns.purpose'),
      width: 90,
      render: (key) =>
        key.purpose === 'cursor' || key.purpose === 'default'
          ? t(`keys.purpose.${key.purpose}`)
          : key.purpose,
    },
    { key: 'models', title: t('keys.columns.models'), width: 200, render: modelsCell },
    { key: 'limits', title: t('keys.columns.limits'), width: 160, render: limitsCell },
    {
      key: 'expires_at',
      title: t('keys.columns.expires'),
      width: 170,
      render: (key) =>
        key.expires_at ? format.dateTime(key.expires_at) : h('span', { class: 'muted' }, t('keys.never')),
      // no expiry sorts as the latest one
      sorter: (a, b) => compareTime(a.expires_at, b.expires_at),
      sortOrder: sort.order('expires_at'),
    },
    { key: 'channel', title: t('keys.columns.channel'), width: 130, render: channelCell },
    {
      key: 'last_used_at',
      title: t('keys.columns.lastUsed'),
      width: 170,
      render: (key) =>
        key.last_used_at
          ? h('span', { 'data-testid': 'key-last-used' }, format.dateTime(key.last_used_at))
          : h('span', { class: 'muted', 'data-testid': 'key-last-used' }, t('keys.notUsed')),
      sorter: byLastUsed,
      sortOrder: sort.order('last_used_at'),
    },
    {
      key: 'actions',
      title: t('keys.columns.actions'),
      width: mobile.value ? 96 : 230,
      render: actionsCell,
      fixed: 'right',
    },
  ]);
}

/** Total width of the columns on a wide screen: the table scrolls sideways below it. */
export const KEY_TABLE_WIDTH = 1430;
