import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent } from 'undici';
import { describe, expect, it } from 'vitest';
import { nodeAttemptAbort } from '../../src/runtime/node/attempt-abort.js';

describe("an attempt's abort on Node", () => {
  it('behaves as an AbortController: one abort event, the first reason kept, onabort called', () => {
    const { signal, abort } = (() => {
      const made = nodeAttemptAbort();
      return { signal: made.signal, abort: (r?: unknown) => made.abort(r) };
    })();
    const heard: unknown[] = [];
    let onabortCalls = 0;
    signal.addEventListener('abort', () => heard.push(signal.reason), { once: true });
    signal.onabort = () => {
      onabortCalls++;
    };
    expect(signal.aborted).toBe(false);
    expect(() => signal.throwIfAborted()).not.toThrow();
    const first = new Error('time-out waiting for upstream');
    abort(first);
    abort(new Error('attempt abandoned'));
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBe(first);
    expect(heard).toEqual([first]);
    expect(onabortCalls).toBe(1);
    expect(() => signal.throwIfAborted()).toThrow(first);
  });

  it('gives an AbortError when no reason is given', () => {
    const made = nodeAttemptAbort();
    made.abort();
    expect(made.signal.reason).toMatchObject({ name: 'AbortError' });
  });

  it('cancels an undici request in flight, with its reason', async () => {
    const server = createServer(() => {}); // never answers
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    const agent = new Agent();
    try {
      const made = nodeAttemptAbort();
      const pending = agent.request({
        origin: `http://127.0.0.1:${port}`,
        path: '/',
        method: 'GET',
        signal: made.signal,
      });
      const reason = new Error('client disconnected');
      setImmediate(() => made.abort(reason));
      await expect(pending).rejects.toBe(reason);
    } finally {
      await agent.close();
      server.closeAllConnections();
      server.close();
    }
  });
});
