import type { InstanceBeat, InstanceRegistry } from '../storage/instance-registry.js';
import type { Repeat } from './app-ports.js';

/** How often an instance beats: often enough that a stopped one shows as stale within ~15 s. */
export const HEARTBEAT_MS = 5_000;
/** Silent for more than this many beats: shown as stale (it stopped, hangs, or lost Redis). */
export const STALE_AFTER_BEATS = 3;
/** Silent for more than this many beats: no longer shown at all (about 5 minutes). */
export const DROP_AFTER_BEATS = 60;

export interface InstanceView {
  readonly id: string;
  readonly version: string;
  readonly started_at: string;
  readonly last_heartbeat: string;
  readonly in_flight: number;
  readonly status: 'live' | 'stale';
  /** The instance that answered this call. */
  readonly self: boolean;
}

/**
 * The instances to show, judged by `now` (the caller's clock): stale after three missed beats,
 * gone after sixty. The answering instance is listed from its current numbers, so a single
 * process, or one cut off from Redis, still reports itself.
 */
export function instanceViews(
  beats: readonly InstanceBeat[],
  self: InstanceBeat,
  now: number,
  beatMs: number = HEARTBEAT_MS,
): InstanceView[] {
  const others = beats.filter((b) => b.id !== self.id && now - b.beatAt <= DROP_AFTER_BEATS * beatMs);
  return [self, ...others.sort((a, b) => a.startedAt - b.startedAt || a.id.localeCompare(b.id))].map((b) => ({
    id: b.id,
    version: b.version,
    started_at: new Date(b.startedAt).toISOString(),
    last_heartbeat: new Date(b.beatAt).toISOString(),
    in_flight: b.inFlight,
    status: b.id === self.id || now - b.beatAt <= STALE_AFTER_BEATS * beatMs ? 'live' : 'stale',
    self: b.id === self.id,
  }));
}

export interface Heartbeat {
  /** Every instance the registry knows, as the admin API shows them. */
  list(): Promise<InstanceView[]>;
  /** Stops beating and leaves the registry (a clean stop is not shown as stale). */
  stop(): Promise<void>;
}

export interface HeartbeatDeps {
  readonly registry: InstanceRegistry;
  readonly id: string;
  readonly version: string;
  readonly now: () => number;
  /** Requests in flight in this instance right now. */
  readonly inFlight: () => number;
  /** Absent (no timers between requests): one beat at start; `list` still shows this instance as of the call. */
  readonly repeat?: Repeat;
  readonly onError: (err: unknown) => void;
}

/** Beats at once and then every HEARTBEAT_MS; a failed beat is logged and the next one retries. */
export function startHeartbeat(deps: HeartbeatDeps): Heartbeat {
  const startedAt = deps.now();
  const current = (): InstanceBeat => ({
    id: deps.id,
    version: deps.version,
    startedAt,
    inFlight: deps.inFlight(),
    beatAt: deps.now(),
  });
  /** The beat on its way, if any: a leave sent before it lands would be undone by it. */
  let sending: Promise<void> | null = null;
  const beat = () => {
    const sent = deps.registry.beat(current()).catch(deps.onError);
    sending = sent;
    void sent.finally(() => {
      if (sending === sent) sending = null;
    });
  };
  beat();
  const stopRepeat = deps.repeat?.(beat, HEARTBEAT_MS) ?? (() => {});
  return {
    async list() {
      const beats = await deps.registry.list().catch((err: unknown) => {
        deps.onError(err);
        return [];
      });
      return instanceViews(beats, current(), deps.now());
    },
    async stop() {
      stopRepeat();
      await sending;
      await deps.registry.leave(deps.id).catch(deps.onError);
    },
  };
}
