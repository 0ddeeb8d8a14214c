import type { Redis } from 'ioredis';

/**
 * `command`, failing once the client's command timeout (REDIS_COMMAND_TIMEOUT_MS) has passed
 * since it was issued. ioredis starts its own timer only when it writes a command, and with
 * auto-pipelining it writes the next batch only after every reply of the running one arrived:
 * a command issued behind a batch that waits on a stalled server would otherwise wait up to
 * twice the timeout. The stores wrap the commands a request waits on with it. A command that
 * failed here may still be written and carried out later, as one ioredis timed out may.
 */
export function inTime<T>(client: Redis, command: Promise<T>): Promise<T> {
  const ms = client.options.commandTimeout;
  return ms === undefined ? command : withDeadline(command, ms, 'Command timed out');
}

/** `promise`, or a rejection with `message` once `ms` have passed, whichever comes first. */
export function withDeadline<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(message)), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}
