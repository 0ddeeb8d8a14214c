import type { Redis } from 'ioredis';

/**
 * Commands issued in one turn of the event loop leave in one write: the first command of a turn
 * corks the connection's socket, and the check phase (setImmediate) uncorks it, so a request's
 * usage XADD and its limit settle, and the commands of the requests that ended in the same turn,
 * share one syscall. Unlike ioredis's auto-pipelining, a turn's commands go out at once even
 * while an earlier batch still waits for its replies (no batch waits behind another), and each
 * command is written when issued, so ioredis's command timeout counts from then.
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
    // Only a ready connection writes at once; before that ioredis queues or refuses the command.
    if (corked === null && this.status === 'ready') {
      corked = this.stream;
      corked.cork();
      setImmediate(uncork);
    }
    return send.apply(this, args);
  };
}
