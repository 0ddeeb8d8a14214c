import type { CreateKeyBody, KeyLimitsInput, KeyPurpose, KeyView, UpdateKeyBody } from '../../api/types';
import { sameList, splitList } from '../crud/text-lists';

export const LIMIT_FIELDS = ['rpm', 'rph', 'tpm', 'concurrent', 'budget'] as const;
export type LimitField = (typeof LIMIT_FIELDS)[number];

/** What the key form holds. */
export interface KeyFormModel {
  name: string;
  /** owner id (create only) */
  userId: string | null;
  purpose: KeyPurpose;
  /** globs, comma- or newline-separated */
  models: string;
  /** epoch ms, or null for never */
  expiresAt: number | null;
  /** CIDRs, comma- or newline-separated */
  ipAllowlist: string;
  limits: Record<LimitField, number | null>;
  channelId: string | null;
  enabled: boolean;
  /** bring your own key: the upstream provider */
  byokProvider: string | null;
  /** a new upstream key as typed (empty on edit = keep the current one) */
  byokKey: string;
  /** edit only: remove the current own key */
  byokRemove: boolean;
}

export type KeyField =
  | 'name'
  | 'user'
  | 'models'
  | 'expires'
  | 'ipAllowlist'
  | 'channel'
  | 'byokProvider'
  | 'byokKey'
  | LimitField;

export type KeyFormErrors = Partial<Record<KeyField, { key: string; params?: Record<string, string> }>>;

export function emptyKeyForm(userId: string | null): KeyFormModel {
  return {
    name: '',
    userId,
    purpose: 'default',
    models: '',
    expiresAt: null,
    ipAllowlist: '',
    limits: { rpm: null, rph: null, tpm: null, concurrent: null, budget: null },
    channelId: null,
    enabled: true,
    byokProvider: null,
    byokKey: '',
    byokRemove: false,
  };
}

export function keyFormFrom(key: KeyView): KeyFormModel {
  return {
    name: key.name,
    userId: key.user_id,
    purpose: key.purpose === 'cursor' ? 'cursor' : 'default',
    models: key.models.join('\n'),
    expiresAt: key.expires_at ? Date.parse(key.expires_at) : null,
    ipAllowlist: key.ip_allowlist.join('\n'),
    limits: {
      rpm: key.limits.rpm,
      rph: key.limits.rph,
      tpm: key.limits.tpm,
      concurrent: key.limits.concurrent,
      budget: key.limits.budget,
    },
    channelId: key.channel_id,
    enabled: key.enabled,
    byokProvider: key.byok?.provider ?? null,
    byokKey: '',
    byokRemove: false,
  };
}

function isIPv4(text: string): boolean {
  const parts = text.split('.');
  return parts.length === 4 && parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255);
}

function isIPv6(text: string): boolean {
  if (!text.includes(':') || !/^[0-9A-Fa-f:.]+$/.test(text)) return false;
  try {
    new URL(`http://[${text}]/`);
    return true;
  } catch {
    return false;
  }
}

/** An IPv4/IPv6 address, or one with a prefix length (10.0.0.0/8, 2001:db8::/32). */
export function isIpOrCidr(text: string): boolean {
  const parts = text.split('/');
  if (parts.length > 2) return false;
  const [address = '', prefix] = parts;
  const v4 = isIPv4(address);
  if (!v4 && !isIPv6(address)) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (v4 ? 32 : 128);
}

/** The `byok` to send: a new own key, null to remove the current one, or undefined for no change. */
export function byokOf(
  form: KeyFormModel,
  current: KeyView | null,
): { provider: string; key: string } | null | undefined {
  const key = form.byokKey.trim();
  if (form.byokRemove && current?.byok) return null;
  if (key !== '' && form.byokProvider) return { provider: form.byokProvider, key };
  return undefined;
}

/** Whether the key will have an own upstream key once saved. */
function keepsByok(form: KeyFormModel, current: KeyView | null): boolean {
  const next = byokOf(form, current);
  if (next !== undefined) return next !== null;
  return Boolean(current?.byok) && !form.byokRemove;
}

/** Client-side checks matching the server's key schema. */
export function validateKeyForm(form: KeyFormModel, current: KeyView | null, now: number): KeyFormErrors {
  const errors: KeyFormErrors = {};
  const name = form.name.trim();
  if (name === '') errors.name = { key: 'nameRequired' };
  else if (name.length > 100) errors.name = { key: 'nameTooLong' };
  const badIp = splitList(form.ipAllowlist).find((ip) => !isIpOrCidr(ip));
  if (badIp !== undefined) errors.ipAllowlist = { key: 'ipInvalid', params: { value: badIp } };
  const expiresChanged =
    !current || form.expiresAt !== (current.expires_at ? Date.parse(current.expires_at) : null);
  if (expiresChanged && form.expiresAt !== null && form.expiresAt <= now)
    errors.expires = { key: 'expiresPast' };
  for (const field of LIMIT_FIELDS) {
    const value = form.limits[field];
    if (value === null) continue;
    if (field === 'budget') {
      if (!Number.isFinite(value) || value < 0) errors.budget = { key: 'budgetNumber' };
    } else if (!Number.isInteger(value) || value < 1) {
      errors[field] = { key: 'wholeNumber' };
    }
  }
  if (!form.byokRemove) {
    const key = form.byokKey.trim();
    const providerChanged = form.byokProvider !== (current?.byok?.provider ?? null);
    if (key !== '' && !form.byokProvider) errors.byokProvider = { key: 'byokProviderRequired' };
    else if (key !== '' && !/^[\x21-\x7e]+$/.test(key)) errors.byokKey = { key: 'byokKeyAscii' };
    else if (key === '' && form.byokProvider && providerChanged) errors.byokKey = { key: 'byokKeyRequired' };
  }
  if (form.channelId && keepsByok(form, current)) errors.channel = { key: 'channelWithByok' };
  return errors;
}

function limitsOf(form: KeyFormModel): KeyLimitsInput {
  return {
    rpm: form.limits.rpm,
    rph: form.limits.rph,
    tpm: form.limits.tpm,
    concurrent: form.limits.concurrent,
    budget: form.limits.budget,
  };
}

function expiresIso(form: KeyFormModel): string | null {
  return form.expiresAt === null ? null : new Date(form.expiresAt).toISOString();
}

/** POST /keys body. */
export function createKeyBody(form: KeyFormModel): CreateKeyBody {
  const byok = byokOf(form, null);
  return {
    name: form.name.trim(),
    ...(form.userId ? { user_id: form.userId } : {}),
    purpose: form.purpose,
    models: splitList(form.models),
    expires_at: expiresIso(form),
    ip_allowlist: splitList(form.ipAllowlist),
    enabled: form.enabled,
    limits: limitsOf(form),
    ...(form.channelId ? { channel_id: form.channelId } : {}),
    ...(byok ? { byok } : {}),
  };
}

/** PATCH /keys/:id body with only the settings that changed. */
export function updateKeyBody(form: KeyFormModel, current: KeyView): UpdateKeyBody {
  const body: UpdateKeyBody = {};
  const name = form.name.trim();
  if (name !== current.name) body.name = name;
  if (form.purpose !== current.purpose) body.purpose = form.purpose;
  const models = splitList(form.models);
  if (!sameList(models, current.models)) body.models = models;
  const expires = expiresIso(form);
  const currentExpires = current.expires_at ? new Date(current.expires_at).toISOString() : null;
  if (expires !== currentExpires) body.expires_at = expires;
  const ips = splitList(form.ipAllowlist);
  if (!sameList(ips, current.ip_allowlist)) body.ip_allowlist = ips;
  if (form.enabled !== current.enabled) body.enabled = form.enabled;
  const limitsChanged = LIMIT_FIELDS.some((field) => form.limits[field] !== (current.limits[field] ?? null));
  if (limitsChanged) body.limits = limitsOf(form);
  if (form.channelId !== current.channel_id) body.channel_id = form.channelId;
  const byok = byokOf(form, current);
  if (byok !== undefined) body.byok = byok;
  return body;
}

/** Maps a server error's `param` (e.g. `limits.rpm`, `ip_allowlist.0`) to the form field it is about. */
export function keyFieldOfParam(param: string | null): KeyField | null {
  if (!param) return null;
  const [head, sub] = param.split('.');
  if (head === 'limits' && sub && (LIMIT_FIELDS as readonly string[]).includes(sub)) return sub as LimitField;
  const fields: Record<string, KeyField> = {
    name: 'name',
    user_id: 'user',
    models: 'models',
    expires_at: 'expires',
    ip_allowlist: 'ipAllowlist',
    channel_id: 'channel',
    byok: sub === 'provider' ? 'byokProvider' : 'byokKey',
  };
  return head ? (fields[head] ?? null) : null;
}
