import type {
  ChannelTimeoutInput,
  ChannelView,
  CreateChannelBody,
  ProviderPreset,
  UpdateChannelBody,
} from '../../api/types';
import { sameList, splitLines, splitList } from '../crud/text-lists';

/** One model map row: the model a client asks for → the model sent upstream. */
export interface ModelMapRow {
  key: string;
  value: string;
}

/** One extra upstream header row: name → value. */
export interface HeaderRow {
  key: string;
  value: string;
}

export const TIMEOUT_FIELDS = ['connect_ms', 'first_byte_ms', 'idle_ms', 'total_ms'] as const;
export type TimeoutField = (typeof TIMEOUT_FIELDS)[number];

/** The server's time-outs when a channel sets none (ms). */
export const TIMEOUT_DEFAULTS: Record<TimeoutField, number> = {
  connect_ms: 10_000,
  first_byte_ms: 60_000,
  idle_ms: 120_000,
  total_ms: 600_000,
};

/** The channel view masks secret-looking header values with an ellipsis. */
export function isMaskedValue(value: string): boolean {
  return value.includes('…');
}

/** What the create/edit form holds (text fields as typed). */
export interface ChannelFormModel {
  name: string;
  provider: string | null;
  baseUrl: string;
  /** new upstream keys, one per line (empty on edit = keep the current ones) */
  keys: string;
  /** comma- or newline-separated */
  models: string;
  modelMap: ModelMapRow[];
  /** model (or `*` glob) → output-token cap, as typed */
  outputLimits: ModelMapRow[];
  priority: number | null;
  weight: number | null;
  /** ms; null = the default */
  timeout: Record<TimeoutField, number | null>;
  headers: HeaderRow[];
  enabled: boolean;
}

export type ChannelField =
  | 'name'
  | 'provider'
  | 'baseUrl'
  | 'keys'
  | 'models'
  | 'modelMap'
  | 'outputLimits'
  | 'priority'
  | 'weight'
  | 'headers'
  | TimeoutField;

/** Field → message key (under channels.form.errors) plus its parameters. */
export type ChannelFormErrors = Partial<
  Record<ChannelField, { key: string; params?: Record<string, string> }>
>;

/** The server's channel name rule. */
export const CHANNEL_NAME_PATTERN = /^[A-Za-z0-9._-]+$/;
/** An upstream key goes into an HTTP header: visible ASCII only. */
const VISIBLE_ASCII = /^[\x21-\x7e]+$/;

export function emptyChannelForm(): ChannelFormModel {
  return {
    name: '',
    provider: null,
    baseUrl: '',
    keys: '',
    models: '',
    modelMap: [],
    outputLimits: [],
    priority: 0,
    weight: 1,
    timeout: { connect_ms: null, first_byte_ms: null, idle_ms: null, total_ms: null },
    headers: [],
    enabled: true,
  };
}

export function channelFormFrom(channel: ChannelView): ChannelFormModel {
  return {
    name: channel.name,
    provider: channel.provider,
    baseUrl: channel.base_url ?? '',
    keys: '',
    models: channel.models.join('\n'),
    modelMap: Object.entries(channel.model_map).map(([key, value]) => ({ key, value })),
    outputLimits: Object.entries(channel.max_output_tokens).map(([key, value]) => ({
      key,
      value: String(value),
    })),
    priority: channel.priority,
    weight: channel.weight,
    timeout: {
      connect_ms: channel.timeout.connect_ms ?? null,
      first_byte_ms: channel.timeout.first_byte_ms ?? null,
      idle_ms: channel.timeout.idle_ms ?? null,
      total_ms: channel.timeout.total_ms ?? null,
    },
    headers: Object.entries(channel.headers).map(([key, value]) => ({ key, value })),
    enabled: channel.enabled,
  };
}

export function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

function modelMapOf(rows: ModelMapRow[]): Record<string, string> {
  const map: Record<string, string> = {};
  for (const row of rows) {
    const key = row.key.trim();
    const value = row.value.trim();
    if (key !== '' || value !== '') map[key] = value;
  }
  return map;
}

function outputLimitsOf(rows: ModelMapRow[]): Record<string, number> {
  const map: Record<string, number> = {};
  for (const row of rows) {
    const key = row.key.trim();
    if (key !== '' || row.value.trim() !== '') map[key] = Number(row.value.trim());
  }
  return map;
}

function outputLimitsError(rows: ModelMapRow[]): ChannelFormErrors['outputLimits'] {
  const seen = new Set<string>();
  for (const row of rows) {
    const key = row.key.trim();
    const value = row.value.trim();
    if (key === '' && value === '') continue;
    if (key === '' || value === '') return { key: 'outputLimitsIncomplete' };
    if (!/^[1-9][0-9]*$/.test(value)) return { key: 'outputLimitsInteger', params: { model: key } };
    if (seen.has(key)) return { key: 'outputLimitsDuplicate', params: { model: key } };
    seen.add(key);
  }
  return undefined;
}

function headersOf(rows: HeaderRow[]): Record<string, string> {
  const map: Record<string, string> = {};
  for (const row of rows) {
    const key = row.key.trim();
    if (key !== '' || row.value.trim() !== '') map[key] = row.value.trim();
  }
  return map;
}

/** Whether the header rows differ from the channel's current headers. */
export function headersChanged(rows: HeaderRow[], current: ChannelView | null): boolean {
  return !sameMap(headersOf(rows), current?.headers ?? {});
}

/** An HTTP header name (RFC 9110 token). */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

function timeoutValue(form: ChannelFormModel, field: TimeoutField): number {
  return form.timeout[field] ?? TIMEOUT_DEFAULTS[field];
}

/** Client-side checks matching the server's channel schema. `editing`: the form edits `current`. */
export function validateChannelForm(
  form: ChannelFormModel,
  preset: ProviderPreset | undefined,
  current: ChannelView | null,
): ChannelFormErrors {
  const errors: ChannelFormErrors = {};
  const name = form.name.trim();
  if (!current) {
    if (name === '') errors.name = { key: 'nameRequired' };
    else if (!CHANNEL_NAME_PATTERN.test(name)) errors.name = { key: 'namePattern' };
  }
  if (!form.provider) errors.provider = { key: 'providerRequired' };
  const baseUrl = form.baseUrl.trim();
  if (baseUrl !== '' && !isHttpUrl(baseUrl)) errors.baseUrl = { key: 'baseUrlInvalid' };
  else if (baseUrl === '' && preset && preset.base_url === null) {
    errors.baseUrl = { key: 'baseUrlRequired' };
  }
  const keys = splitLines(form.keys);
  if (keys.some((key) => !VISIBLE_ASCII.test(key))) errors.keys = { key: 'keysAscii' };
  else if (keys.length === 0 && preset?.requires_key && (!current || current.keys.length === 0)) {
    errors.keys = { key: 'keysRequired' };
  }
  const seen = new Set<string>();
  for (const row of form.modelMap) {
    const key = row.key.trim();
    const value = row.value.trim();
    if (key === '' && value === '') continue;
    if (key === '' || value === '') {
      errors.modelMap = { key: 'modelMapIncomplete' };
      break;
    }
    if (seen.has(key)) {
      errors.modelMap = { key: 'modelMapDuplicate', params: { model: key } };
      break;
    }
    seen.add(key);
  }
  const limits = outputLimitsError(form.outputLimits);
  if (limits) errors.outputLimits = limits;
  if (form.priority === null || !Number.isInteger(form.priority))
    errors.priority = { key: 'priorityInteger' };
  if (form.weight === null || !(form.weight > 0)) errors.weight = { key: 'weightPositive' };
  for (const field of TIMEOUT_FIELDS) {
    const value = form.timeout[field];
    if (value !== null && (!Number.isInteger(value) || value < 1)) errors[field] = { key: 'timeoutPositive' };
  }
  const headerNames = new Set<string>();
  for (const row of form.headers) {
    const key = row.key.trim();
    const value = row.value.trim();
    if (key === '' && value === '') continue;
    if (key === '' || value === '') {
      errors.headers = { key: 'headersIncomplete' };
      break;
    }
    if (!HEADER_NAME.test(key)) {
      errors.headers = { key: 'headerName', params: { name: key } };
      break;
    }
    if (headerNames.has(key.toLowerCase())) {
      errors.headers = { key: 'headerDuplicate', params: { name: key } };
      break;
    }
    headerNames.add(key.toLowerCase());
  }
  // Edited headers are sent whole and the server stores values as sent: a value still masked
  // would overwrite the real one with "…". That includes a masked value under a new name (a
  // renamed header): the server cannot carry the stored value over, so it must be re-entered.
  if (!errors.headers && current && headersChanged(form.headers, current)) {
    const maskedValues = new Set(Object.values(current.headers).filter(isMaskedValue));
    const masked = form.headers.find((row) => isMaskedValue(row.value) && maskedValues.has(row.value.trim()));
    if (masked) errors.headers = { key: 'headerMasked', params: { name: masked.key.trim() } };
  }
  return errors;
}

/** POST /channels body (call after validateChannelForm found nothing). */
export function createChannelBody(form: ChannelFormModel): CreateChannelBody {
  const baseUrl = form.baseUrl.trim();
  // Only the time-outs entered: the server fills in the others' defaults.
  const timeout: ChannelTimeoutInput = {};
  for (const field of TIMEOUT_FIELDS) {
    const value = form.timeout[field];
    if (value !== null) timeout[field] = value;
  }
  return {
    name: form.name.trim(),
    provider: form.provider ?? '',
    ...(baseUrl !== '' ? { base_url: baseUrl } : {}),
    keys: splitLines(form.keys),
    models: splitList(form.models),
    model_map: modelMapOf(form.modelMap),
    ...(form.outputLimits.length > 0 ? { max_output_tokens: outputLimitsOf(form.outputLimits) } : {}),
    priority: form.priority ?? 0,
    weight: form.weight ?? 1,
    ...(Object.keys(timeout).length > 0 ? { timeout } : {}),
    ...(form.headers.length > 0 ? { headers: headersOf(form.headers) } : {}),
    enabled: form.enabled,
  };
}

function stringMap(map: Record<string, number>): Record<string, string> {
  return Object.fromEntries(Object.entries(map).map(([key, value]) => [key, String(value)]));
}

function sameMap(a: Record<string, string>, b: Record<string, string>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => b[k] === a[k]);
}

/**
 * PATCH /channels/:id body with only what changed. New keys are sent only when entered (they
 * replace the current ones); a file-managed channel only ever sends `enabled`.
 */
export function updateChannelBody(form: ChannelFormModel, current: ChannelView): UpdateChannelBody {
  const body: UpdateChannelBody = {};
  if (form.enabled !== current.enabled) body.enabled = form.enabled;
  if (current.source === 'file') return body;
  if (form.provider && form.provider !== current.provider) body.provider = form.provider;
  const baseUrl = form.baseUrl.trim();
  // An emptied field sends null: back to the provider's default base URL.
  if (baseUrl !== (current.base_url ?? '')) body.base_url = baseUrl === '' ? null : baseUrl;
  const keys = splitLines(form.keys);
  if (keys.length > 0) body.keys = keys;
  const models = splitList(form.models);
  if (!sameList(models, current.models)) body.models = models;
  const modelMap = modelMapOf(form.modelMap);
  if (!sameMap(modelMap, current.model_map)) body.model_map = modelMap;
  const outputLimits = outputLimitsOf(form.outputLimits);
  if (!sameMap(stringMap(outputLimits), stringMap(current.max_output_tokens)))
    body.max_output_tokens = outputLimits;
  if (form.priority !== null && form.priority !== current.priority) body.priority = form.priority;
  if (form.weight !== null && form.weight !== current.weight) body.weight = form.weight;
  // A sent `timeout` replaces the whole setting: all four values go (empty = the default).
  const timeoutChanged = TIMEOUT_FIELDS.some(
    (field) => timeoutValue(form, field) !== (current.timeout[field] ?? TIMEOUT_DEFAULTS[field]),
  );
  if (timeoutChanged) {
    body.timeout = {
      connect_ms: timeoutValue(form, 'connect_ms'),
      first_byte_ms: timeoutValue(form, 'first_byte_ms'),
      idle_ms: timeoutValue(form, 'idle_ms'),
      total_ms: timeoutValue(form, 'total_ms'),
    };
  }
  // Headers come back masked: sent (whole) only when edited, masked values re-entered.
  if (headersChanged(form.headers, current)) body.headers = headersOf(form.headers);
  return body;
}

/** Maps a server error's `param` (e.g. `base_url`, `keys.0`) to the form field it is about. */
export function fieldOfParam(param: string | null): ChannelField | null {
  if (!param) return null;
  const head = param.split('.')[0];
  switch (head) {
    case 'name':
      return 'name';
    case 'provider':
      return 'provider';
    case 'base_url':
      return 'baseUrl';
    case 'key':
    case 'keys':
      return 'keys';
    case 'models':
      return 'models';
    case 'model_map':
      return 'modelMap';
    case 'max_output_tokens':
      return 'outputLimits';
    case 'priority':
      return 'priority';
    case 'weight':
      return 'weight';
    case 'headers':
      return 'headers';
    case 'timeout': {
      const sub = param.split('.')[1];
      return (TIMEOUT_FIELDS as readonly string[]).includes(sub ?? '') ? (sub as TimeoutField) : null;
    }
    default:
      return null;
  }
}

/** Models a test can name: the listed ones, then the names the model map accepts. */
export function testableModels(channel: ChannelView): string[] {
  return [...new Set([...channel.models, ...Object.keys(channel.model_map)])];
}
