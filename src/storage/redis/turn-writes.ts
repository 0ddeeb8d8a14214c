import type { Redis } from 'ioredis';

/** The link's write schedule, for callers that gather a turn's calls into one command. */
export interface TurnWrites {
  /** True while a command would be written at once: the connection is ready and awaits no reply. */
  writesAtOnce(): boolean;
  /**
   * Runs `flush` at this turn's end, before the turn's held commands are written: what it sends
   * leaves in the same write.
   */
  atTurnEnd(flush: () => void): void;
}

/**
 * How the link's connection writes commands:
 *
 * - **Idle connection: at once.** A command issued while no reply is awaited goes on the wire
 *   when issued, so Redis works on it while the rest of the turn runs. One request at a time (a
 *   limit take, a usage XADD) is never held back by the work left in its turn.
 * - **Replies awaited: one write per turn.** A command issued while others wait for their
 *   replies corks the socket, and the check phase (setImmediate) uncorks it. A request's usage
 *   XADD and its limit settle, and the commands of the requests that ended in the same turn,
 *   share one syscall. Callers that gather a turn's calls into one command (calls-by-turn.ts)
 *   send it there, before the uncork.
 *
 * Unlike ioredis's auto-pipelining, a turn's commands go out at the turn's end even while an
 * earlier batch still waits for its replies (no batch waits behind another), and each command
 * is written at once or by the next check phase, so ioredis's command timeout counts from about
 * when it was written.
 */
export function writeByTurn(client: Redis): TurnWrites {
  const send = client.sendCommand;
  let corked: Redis['stream'] | null = null;
  let scheduled = false;
  /** True while the turn's end runs: what its flushes send joins this write, or goes at once. */
  let ending = false;
  let flushes: (() => void)[] = [];
  const endTurn = () => {
    scheduled = false;
    const due = flushes;
    flushes = [];
    // The flushes' commands (a turn's takes, settles, usage records) leave in one write too.
    if (due.length > 0 && corked === null && client.status === 'ready') {
      corked = client.stream;
      corked.cork();
    }
    ending = true;
    try {
      for (const flush of due) flush();
    } finally {
      ending = false;
      const stream = corked;
      corked = null;
      stream?.uncork();
    }
  };
  const schedule = () => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(endTurn);
  };
  client.sendCommand = function sendInTurn(this: Redis, ...args: Parameters<Redis['sendCommand']>) {
    // Corks only a ready connection awaiting replies: an idle one writes at once, and before it is
    // ready ioredis queues or refuses the command itself.
    if (!ending && corked === null && this.status === 'ready' && this.commandQueue.length > 0) {
      corked = this.stream;
      corked.cork();
      schedule();
    }
    return send.apply(this, args);
  };
  return {
    writesAtOnce: () => corked === null && client.status === 'ready' && client.commandQueue.length === 0,
    atTurnEnd(flush) {
      flushes.push(flush);
      schedule();
    },
  };
}
