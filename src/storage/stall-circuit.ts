/**
 * Whether the shared store (Redis) is worth a command right now. A closed connection shows in
 * the link's state at once; a stalled server (it keeps the connection but answers nothing) only
 * shows as a command that times out, with the link still up. Without a memory of that, every
 * store on the link would wait the command timeout again, once per step of every request (router
 * health, cache, limits, usage record). So one circuit per link: after a command fails for want
 * of an answer, every store on the link treats Redis as away for `retryAfterMs`; then one probe
 * (a PING) is sent while every store stays away, and Redis is used again once it answers. A
 * probe that fails too waits out the delay again: while Redis stalls, no request waits for it
 * after the first timeout.
 */
export interface StallCircuit {
  /**
   * True while commands go to the shared store: the link is up and no stall is being waited out
   * (or probed: the first call after the delay sends the probe, and says false until it answers).
   */
  usable(): boolean;
  /**
   * Reports a failed command. True when the failure means the server is away (the caller falls
   * back): the connection's failure, or a reply saying the server cannot serve now
   * (`unreachable`); then, if the link still looks up, the circuit opens for the retry delay.
   * False for an answer to the command itself (a script's error), which opens nothing.
   */
  failed(err: unknown): boolean;
  /** The link is (re)connected: commands go to it again at once. */
  reset(): void;
}

export interface StallCircuitOptions {
  /** How long the shared store is left alone after a stall before it is probed (default 1 000 ms). */
  readonly retryAfterMs?: number;
  readonly now?: () => number;
  /** A command that answers once the server serves again (a PING); none: the delay alone. */
  readonly probe?: () => Promise<unknown>;
}

export function createStallCircuit(up: () => boolean, options: StallCircuitOptions = {}): StallCircuit {
  const now = options.now ?? Date.now;
  const retryAfterMs = options.retryAfterMs ?? 1_000;
  const { probe } = options;
  /** 0: closed (commands go through); else when the stall may be probed (or tried) again. */
  let stalledUntil = 0;
  let probing = false;
  /** Bumped by each reset and stall: a probe that answers after either decides nothing. */
  let generation = 0;
  const open = () => {
    generation++;
    stalledUntil = now() + retryAfterMs;
  };
  const sendProbe = (send: () => Promise<unknown>) => {
    probing = true;
    const sent = generation;
    send().then(
      () => {
        probing = false;
        if (sent === generation) stalledUntil = 0;
      },
      (err: unknown) => {
        probing = false;
        if (sent !== generation) return;
        // Any answer means the server serves again; only its absence keeps the circuit open.
        if (unreachable(err)) open();
        else stalledUntil = 0;
      },
    );
  };
  return {
    usable() {
      if (!up()) return false;
      if (stalledUntil === 0) return true;
      if (probing || now() < stalledUntil) return false;
      if (!probe) return true;
      sendProbe(probe);
      return false;
    },
    failed(err) {
      if (!unreachable(err)) return false;
      if (up()) open();
      return true;
    },
    reset() {
      generation++;
      stalledUntil = 0;
    },
  };
}

/**
 * Replies by which the server says it cannot serve right now rather than answering the command:
 * disk persistence failing (MISCONF), out of memory (OOM), a replica after a failover (READONLY),
 * a dataset still loading (LOADING), a script hogging the server (BUSY), a cluster or its master
 * down (CLUSTERDOWN, MASTERDOWN, TRYAGAIN), too few replicas (NOREPLICAS).
 */
const UNAVAILABLE = /^(?:MISCONF|OOM|READONLY|LOADING|BUSY|CLUSTERDOWN|MASTERDOWN|TRYAGAIN|NOREPLICAS)\b/;
/** The same inside a script, as Redis before 7 wraps it (`ERR Error running script … -OOM …`). */
const UNAVAILABLE_IN_SCRIPT =
  /\B-(?:MISCONF|OOM|READONLY|LOADING|BUSY|CLUSTERDOWN|MASTERDOWN|TRYAGAIN|NOREPLICAS)\b/;

/**
 * A failure that means the server is away: the connection's (refused, closed, timed out), or one
 * of the replies above. ioredis reports the server's answers as ReplyError; any other reply (a
 * script's own error, a wrong type) is an answer, and falling back would hide a bug.
 */
export function unreachable(err: unknown): boolean {
  if (!(err instanceof Error && err.name === 'ReplyError')) return true;
  return UNAVAILABLE.test(err.message) || UNAVAILABLE_IN_SCRIPT.test(err.message);
}
