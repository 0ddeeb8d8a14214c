import type { StreamPart } from '../../spec/stream-part.js';

/** A tool call that started while another one was streaming, held until that one ends. */
interface HeldCall {
  readonly start: StreamPart;
  args: string;
  ended: boolean;
}

/** Parts that would open an output item of their own beside the streaming call's. */
const OPENS_AN_ITEM: ReadonlySet<StreamPart['type']> = new Set([
  'text-delta',
  'reasoning-delta',
  'reasoning-signature',
  'reasoning-redacted',
]);

/**
 * Canonical parts with one tool call streaming at a time. Responses output items follow each
 * other (an item is done before the next is added), but OpenAI-format upstreams end their calls
 * only with the finish, and may stream several calls' fragments alternately. The first call
 * streams live; a call that starts meanwhile is held whole (nothing dropped) and goes on, in
 * order, once the live one ends, as does text or reasoning that came in between.
 */
export function sequentialToolCalls(): TransformStream<StreamPart, StreamPart> {
  let live: number | null = null;
  const held = new Map<number, HeldCall>();
  let deferred: StreamPart[] = [];

  /** Sends what waited for the live call; a held call not yet ended becomes the live one. */
  const release = (controller: TransformStreamDefaultController<StreamPart>, all: boolean) => {
    const parts = deferred;
    deferred = [];
    for (const part of parts) controller.enqueue(part);
    for (const [index, call] of held) {
      if (live !== null) return;
      held.delete(index);
      controller.enqueue(call.start);
      if (call.args) controller.enqueue({ type: 'tool-call-delta', index, argumentsDelta: call.args });
      if (call.ended || all) controller.enqueue({ type: 'tool-call-end', index });
      else live = index;
    }
  };

  return new TransformStream<StreamPart, StreamPart>({
    transform(part, controller) {
      if (live !== null && OPENS_AN_ITEM.has(part.type)) {
        deferred.push(part);
        return;
      }
      if (part.type === 'tool-call-start' && live !== null && live !== part.index) {
        held.set(part.index, { start: part, args: '', ended: false });
        return;
      }
      const waiting = 'index' in part ? held.get(part.index) : undefined;
      if (waiting && part.type === 'tool-call-delta') waiting.args += part.argumentsDelta;
      else if (waiting && part.type === 'tool-call-end') waiting.ended = true;
      else controller.enqueue(part);
      if (part.type === 'tool-call-start') live = part.index;
      if (part.type === 'tool-call-end' && part.index === live) {
        live = null;
        release(controller, false);
      }
    },
    flush(controller) {
      // Calls the upstream never ended end with the stream, the live one first.
      if (live !== null) controller.enqueue({ type: 'tool-call-end', index: live });
      live = null;
      release(controller, true);
    },
  });
}
