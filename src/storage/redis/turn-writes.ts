import type { Redis } from 'ioredis';

/**
 * How the link's connection writes commands:
 *
 * - **Idle connection: at once.** A command issued while no reply is awaited goes on the wire
 *   when issued, so Redis works on it while the rest of the turn runs. One request at a time (a
 *   limit take, a usage XADD) is never held back by the work left in its turn.
 * - **Replies awaited: one write per turn.** A command issued while others wait for their
 *   replies corks the socket, and the check phase (setImmediate) uncorks it. A request's usage
 *   XADD and its limit settle, and the commands of the requests that ended in the same turn,
 *   share one syscall.
 *
 * Unlike ioredis's auto-pipelining, a turn's commands go out at the turn's end even while an
 * earlier batch still waits for its replies (no batch waits behind another), and each command
 * is written at once or by the next check phase, so ioredis's command timeout counts from about
 * when it was written.
 */
export function writeByTurn(client: Redis): void {
  const send = client.sendCommand;
  let corked: Redis['stream'] | null = null;
  const uncork = () => {
    const stream = corked;
    corked = null;
    stream?.uncork();
  };
  client.sendCommand = function sendInTurn(this: Redis, ...args: Parameters<Redis['sendCommand']>) {
    // Corks only a ready connection awaiting replies: an idle one writes at once, and before it is
    // ready ioredis queues or refuses the command itself.
    if (corked === null && this.status === 'ready' && this.commandQueue.length > 0) {
      corked = this.stream;
      corked.cork();
      setImmediate(uncork);
    }
    return send.apply(this, args);
  };
}
