import type { Target } from '../spec/channel.js';
import type { FetchLike, Provider, UpstreamCall } from '../spec/provider.js';
import type { AttemptRecord } from '../spec/usage.js';
import type { AttemptFailure } from './failure.js';
import type { PlannedChannel } from './plan.js';
import { type AttemptSuccess, sendAttempt } from './send-attempt.js';

export interface RunOptions {
  readonly plan: readonly PlannedChannel[];
  readonly maxAttempts: number;
  readonly providerFor: (target: Target) => Provider;
  readonly callFor: (target: Target) => UpstreamCall;
  readonly fetch: FetchLike;
  readonly clientSignal: AbortSignal;
  readonly now: () => number;
  /** Sees every attempt as it ends; the usage record keeps them all. */
  readonly onAttempt: (record: AttemptRecord) => void;
}

export type RunResult =
  | { readonly ok: true; readonly target: Target; readonly success: AttemptSuccess }
  | {
      readonly ok: false;
      readonly failures: readonly (AttemptFailure & { channel: string })[];
      readonly final: AttemptFailure | null;
    };

/**
 * Walks the plan: keys of a channel in rotation order, then the next channel, then the next
 * priority group. A key-scoped failure (429) moves to the channel's next key; a channel-scoped
 * one (connect error, time-out, 5xx) skips the channel's remaining keys. A failure that is not
 * retryable ends the walk at once.
 */
export async function runAttempts(options: RunOptions): Promise<RunResult> {
  const failures: (AttemptFailure & { channel: string })[] = [];
  let attempts = 0;
  for (const planned of options.plan) {
    for (const keyIndex of planned.keyOrder) {
      if (attempts >= options.maxAttempts || options.clientSignal.aborted) {
        return { ok: false, failures, final: null };
      }
      attempts++;
      const target: Target = { channel: planned.channel, keyIndex, upstreamModel: planned.upstreamModel };
      const started = options.now();
      const result = await sendAttempt({
        provider: options.providerFor(target),
        call: options.callFor(target),
        fetch: options.fetch,
        clientSignal: options.clientSignal,
        now: options.now,
      });
      options.onAttempt({
        channel: planned.channel.name,
        keyIndex,
        status: result.ok ? result.status : result.status,
        ...(result.ok ? {} : { error: result.reason }),
        latencyMs: options.now() - started,
      });
      if (result.ok) return { ok: true, target, success: result };
      failures.push({ ...result, channel: planned.channel.name });
      if (!result.retryable) return { ok: false, failures, final: result };
      if (result.scope === 'channel') break;
    }
  }
  return { ok: false, failures, final: null };
}
