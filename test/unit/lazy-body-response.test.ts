import { describe, expect, it } from 'vitest';
import { LazyBodyResponse } from '../../src/streaming/lazy-body-response.js';

function counted(text: string) {
  let built = 0;
  const make = () => {
    built++;
    return new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(text));
        controller.close();
      },
    });
  };
  return { make, built: () => built };
}

describe('a relayed answer whose body is built on first use', () => {
  it('builds no stream for a runtime that takes the relay, and one for a reader', async () => {
    const body = counted('data: hi\n\n');
    const response = new LazyBodyResponse(body.make, {
      status: 200,
      headers: { 'content-type': 'text/event-stream' },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    expect(body.built()).toBe(0);
    expect(response.body).toBe(response.body);
    expect(body.built()).toBe(1);
    expect(await new Response(response.body).text()).toBe('data: hi\n\n');
  });

  it('reads whole as a plain Response does, once', async () => {
    const response = new LazyBodyResponse(counted('{"a":1}').make, { status: 201 });
    expect(response.bodyUsed).toBe(false);
    expect(await response.json()).toEqual({ a: 1 });
    expect(response.bodyUsed).toBe(true);
    await expect(response.text()).rejects.toThrow(TypeError);
  });

  it('clones into two readers of the same bytes', async () => {
    const response = new LazyBodyResponse(counted('same').make, { status: 200 });
    const copy = response.clone();
    expect(await copy.text()).toBe('same');
    expect(await response.text()).toBe('same');
  });
});
