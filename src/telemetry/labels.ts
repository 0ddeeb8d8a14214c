import { listedModels } from '../router/resolve-model.js';
import { type Channel, sharedChannelName } from '../spec/channel.js';
import type { AttemptRecord, UsageRecord } from '../spec/usage.js';
import { attemptFate } from '../usage/attempt-fate.js';
import type { AttemptOutcome, CacheOutcome, RequestObservation } from './telemetry.js';

/** The label value for everything outside an allowlist or the configured set. */
export const OTHER = 'other';

export interface LabelOptions {
  /** The live channel set: the model names its channels list are the only model labels. */
  readonly channels: () => readonly Channel[];
  /** Model alias names (config `model_aliases`, globs excluded): labels too. */
  readonly aliases: readonly string[];
  /** Client key ids that get their own `key` label; every other key is `other`. */
  readonly keyAllowlist: readonly string[];
  /**
   * Users (by id, or by name as `limits.per_user` names them) that get their own `user` label:
   * the entry that matched; every other user is `other`.
   */
  readonly userAllowlist: readonly string[];
}

export interface LabelPolicy {
  /** `userName`: the name of the record's user, when the request had a valid key. */
  observe(
    record: UsageRecord,
    route: string,
    cache: CacheOutcome,
    userName?: string | null,
  ): RequestObservation;
}

/**
 * Keeps every label set small: a client can invent model names, keys and users by the thousand,
 * and each new value would be a new time series in every scraper. Only names the operator
 * configured become label values; the rest share `other`.
 */
export function createLabelPolicy(options: LabelOptions): LabelPolicy {
  const keys = new Set(options.keyAllowlist);
  const users = new Set(options.userAllowlist);
  let seen: readonly Channel[] | null = null;
  let models = new Set<string>();
  const knownModels = () => {
    const channels = options.channels();
    if (channels !== seen) {
      seen = channels;
      models = new Set([...options.aliases, ...channels.flatMap(listedModels)]);
    }
    return models;
  };
  return {
    observe(record, route, cache, userName = null) {
      const known = knownModels();
      return {
        route,
        model: record.modelAsked === null ? 'none' : known.has(record.modelAsked) ? record.modelAsked : OTHER,
        channel: record.channel === null ? 'none' : channelLabel(record.channel),
        status: String(record.status),
        user: userLabel(record.userId, userName, users),
        key: record.keyId === null ? 'none' : keys.has(record.keyId) ? record.keyId : OTHER,
        stream: record.stream,
        cache,
        latencySeconds: record.latencyMs / 1000,
        firstByteSeconds: record.firstByteMs === null ? null : record.firstByteMs / 1000,
        inputTokens: record.usage?.promptTokens ?? 0,
        outputTokens: record.usage?.completionTokens ?? 0,
        cost: record.cost,
        attempts: record.attempts.map((a, i) => ({
          channel: channelLabel(a.channel),
          outcome: attemptOutcome(a, attemptFate(record, i)),
        })),
      };
    },
  };
}

/** The user's id or name, whichever the allowlist has (the id first); `other` for neither. */
function userLabel(id: string | null, name: string | null, allowed: ReadonlySet<string>): string {
  if (id === null) return 'none';
  if (allowed.has(id)) return id;
  return name !== null && allowed.has(name) ? name : OTHER;
}

/** A tenant's bring-your-own-key copy (`<channel>+byok:<key id>`) counts under `<channel>+byok`. */
export function channelLabel(name: string): string {
  const shared = sharedChannelName(name);
  return shared === name ? name : `${shared}+byok`;
}

export function attemptOutcome(
  attempt: AttemptRecord,
  fate: ReturnType<typeof attemptFate> = 'as-recorded',
): AttemptOutcome {
  if (fate === 'client-cut') return 'client_closed';
  if (fate === 'stream-broke') return 'stream_broken';
  const { status } = attempt;
  if (status === null) return /time-out/.test(attempt.error ?? '') ? 'timeout' : 'network';
  if (status < 300) return 'success';
  if (status < 400) return 'redirect';
  if (status === 429) return 'rate_limited';
  return status < 500 ? 'client_error' : 'server_error';
}
