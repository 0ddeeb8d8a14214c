import type { TurnWrites } from './turn-writes.js';

interface Gathered<C, R> {
  readonly calls: C[];
  readonly replies: Promise<readonly R[]>;
  readonly adopt: (sent: Promise<readonly R[]>) => void;
}

/**
 * One Redis command for the calls a turn makes while the link is busy. A call made while the
 * connection awaits no reply is sent at once, alone (one request at a time waits for nothing);
 * the calls made behind it in the same turn are gathered and sent together at the turn's end,
 * in the turn's one write (turn-writes.ts), as one command whose reply holds one answer per
 * call, in order. A loaded gateway then pays ioredis's per-command cost, and Redis its
 * per-script cost, once per turn instead of once per request. A failed command fails every call
 * it carried.
 *
 * `send` must issue its command before its first `await`: the turn's write leaves right after.
 */
export function callsByTurn<C, R>(
  turn: TurnWrites,
  send: (calls: readonly C[]) => Promise<readonly R[]>,
): (call: C) => Promise<R> {
  let current: Gathered<C, R> | null = null;
  const flush = () => {
    const gathered = current;
    if (!gathered) return;
    current = null;
    let sent: Promise<readonly R[]>;
    try {
      sent = send(gathered.calls);
    } catch (err) {
      sent = Promise.reject(err);
    }
    gathered.adopt(sent);
  };
  return (call) => {
    if (current === null && turn.writesAtOnce()) return send([call]).then((replies) => answerAt(replies, 0));
    if (current === null) {
      let adopt: Gathered<C, R>['adopt'] = () => {};
      const replies = new Promise<readonly R[]>((resolve) => {
        adopt = resolve;
      });
      current = { calls: [], replies, adopt };
      turn.atTurnEnd(flush);
    }
    const index = current.calls.push(call) - 1;
    return current.replies.then((replies) => answerAt(replies, index));
  };
}

function answerAt<R>(replies: readonly R[], index: number): R {
  if (index >= replies.length)
    throw new Error(`redis: a batched reply holds ${replies.length} answers, not ${index + 1}`);
  return replies[index] as R;
}
