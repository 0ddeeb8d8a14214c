import { type DataTableColumns, NButton, NSpace, NSwitch, NTag, NTooltip } from 'naive-ui';
import { type ComputedRef, computed, h, type Ref, type VNode } from 'vue';
import { useI18n } from 'vue-i18n';
import type { ChannelView, RoutingChannel } from '../../api/types';
import { compareText } from '../crud/sorting';
import ChannelHealthTag from './ChannelHealthTag.vue';
import FlaggedKeys from './FlaggedKeys.vue';

export interface ChannelColumnHandlers {
  /** the router's view of a channel, by name */
  routing: (name: string) => RoutingChannel | undefined;
  /** true while the channel's enabled switch is being saved */
  toggling: (id: string) => boolean;
  onToggle: (channel: ChannelView, enabled: boolean) => void;
  onEdit: (channel: ChannelView) => void;
  onTest: (channel: ChannelView) => void;
  onDelete: (channel: ChannelView) => void;
  /** true while a flagged upstream key of the channel is being re-enabled */
  reenabling: (id: string, index: number) => boolean;
  onReenable: (channel: ChannelView, index: number) => void;
}

const MODELS_SHOWN = 3;

function withTooltip(trigger: VNode, lines: string[]): VNode {
  return h(NTooltip, null, {
    trigger: () => trigger,
    default: () => lines.map((line) => h('div', line)),
  });
}

/** The channel table's columns; texts follow the panel's language. */
export function useChannelColumns(
  handlers: ChannelColumnHandlers,
  /** phone layout: a narrow name column and the action buttons stacked, both still pinned */
  mobile: Ref<boolean>,
): ComputedRef<DataTableColumns<ChannelView>> {
  const { t } = useI18n();

  const nameCell = (row: ChannelView) =>
    h('div', { class: 'channel-name-cell' }, [
      h('span', { class: 'channel-name' }, row.name),
      withTooltip(
        h(
          NTag,
          {
            size: 'tiny',
            bordered: false,
            type: row.source === 'file' ? 'info' : 'default',
            'data-testid': 'channel-source',
            'data-source': row.source,
          },
          () => t(`channels.source.${row.source}`),
        ),
        [t(row.source === 'file' ? 'channels.source.fileHint' : 'channels.source.apiHint')],
      ),
    ]);

  const keysCell = (row: ChannelView) => {
    const label = h('span', { class: 'channel-keys', 'data-testid': 'channel-keys-count' }, [
      t('channels.keysCount', row.keys.length),
    ]);
    return row.keys.length > 0 ? withTooltip(label, row.keys) : label;
  };

  const modelsCell = (row: ChannelView) => {
    if (row.models.length === 0) return h('span', { class: 'muted' }, t('channels.anyModel'));
    const shown = row.models.slice(0, MODELS_SHOWN).map((m) => h(NTag, { size: 'small', key: m }, () => m));
    const rest = row.models.slice(MODELS_SHOWN);
    const more = rest.length
      ? [
          withTooltip(
            h(NTag, { size: 'small', dashed: true }, () => t('channels.moreModels', { n: rest.length })),
            rest,
          ),
        ]
      : [];
    return h(NSpace, { size: 4 }, () => [...shown, ...more]);
  };

  const actionsCell = (row: ChannelView) =>
    h(NSpace, { size: 6, wrap: false, vertical: mobile.value }, () => [
      h(NButton, { size: 'small', 'data-testid': 'channel-edit', onClick: () => handlers.onEdit(row) }, () =>
        row.source === 'file' ? t('channels.actions.view') : t('channels.actions.edit'),
      ),
      h(NButton, { size: 'small', 'data-testid': 'channel-test', onClick: () => handlers.onTest(row) }, () =>
        t('channels.actions.test'),
      ),
      row.source === 'api'
        ? h(
            NButton,
            {
              size: 'small',
              type: 'error',
              ghost: true,
              'data-testid': 'channel-delete',
              onClick: () => handlers.onDelete(row),
            },
            () => t('channels.actions.delete'),
          )
        : null,
    ]);

  return computed<DataTableColumns<ChannelView>>(() => [
    {
      key: 'name',
      title: t('channels.columns.name'),
      width: mobile.value ? 120 : 200,
      render: nameCell,
      sorter: (a, b) => compareText(a.name, b.name),
      fixed: 'left',
    },
    { key: 'provider', title: t('channels.columns.provider'), width: 130 },
    {
      key: 'health',
      title: t('channels.columns.health'),
      width: 130,
      render: (row) =>
        h(NSpace, { vertical: true, size: 4 }, () => [
          h(ChannelHealthTag, { routing: handlers.routing(row.name), enabled: row.enabled }),
          h(FlaggedKeys, {
            routing: handlers.routing(row.name),
            busy: (index: number) => handlers.reenabling(row.id, index),
            onReenable: (index: number) => handlers.onReenable(row, index),
          }),
        ]),
    },
    {
      key: 'enabled',
      title: t('channels.columns.enabled'),
      width: 90,
      render: (row) =>
        h(NSwitch, {
          value: row.enabled,
          loading: handlers.toggling(row.id),
          'data-testid': 'channel-enabled',
          onUpdateValue: (value: boolean) => handlers.onToggle(row, value),
        }),
    },
    { key: 'keys', title: t('channels.columns.keys'), width: 120, render: keysCell },
    { key: 'models', title: t('channels.columns.models'), width: 240, render: modelsCell },
    {
      key: 'priority',
      title: t('channels.columns.priority'),
      width: 100,
      align: 'right',
      sorter: (a, b) => a.priority - b.priority,
    },
    {
      key: 'weight',
      title: t('channels.columns.weight'),
      width: 90,
      align: 'right',
      sorter: (a, b) => a.weight - b.weight,
    },
    {
      key: 'base_url',
      title: t('channels.columns.baseUrl'),
      width: 220,
      ellipsis: { tooltip: true },
      render: (row) => row.base_url ?? h('span', { class: 'muted' }, t('channels.defaultBaseUrl')),
    },
    {
      key: 'actions',
      title: t('channels.columns.actions'),
      width: mobile.value ? 96 : 230,
      render: actionsCell,
      fixed: 'right',
    },
  ]);
}

/** Total width of the columns on a wide screen: the table scrolls sideways below it. */
export const CHANNEL_TABLE_WIDTH = 1530;
