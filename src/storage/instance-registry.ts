/** What one running gateway instance says of itself at each heartbeat. */
export interface InstanceBeat {
  /** Random per process start: a restarted process is a new instance. */
  readonly id: string;
  readonly version: string;
  /** Epoch ms the process started. */
  readonly startedAt: number;
  /** Model requests (metered client requests) begun and not yet ended. */
  readonly inFlight: number;
  /** Epoch ms of this heartbeat, by the beating instance's clock. */
  readonly beatAt: number;
}

/**
 * Where running instances announce themselves, so the admin API can list them. Redis when
 * REDIS_URL is set (every instance sees every other); otherwise this process alone (memory), which
 * is the whole deployment when there is no shared state.
 *
 * `list` returns the last beat of every instance it still holds; deciding what is stale is the
 * reader's (src/instances/instance-views.ts), with its own clock. A store may forget an instance
 * that stopped beating long ago.
 */
export interface InstanceRegistry {
  beat(info: InstanceBeat): Promise<void>;
  list(): Promise<InstanceBeat[]>;
  /** Removes this instance at a clean shutdown, so it is not shown as stale. */
  leave(id: string): Promise<void>;
}
