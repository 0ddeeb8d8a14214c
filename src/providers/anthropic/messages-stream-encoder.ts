import type { ChatRequest, ChatUsage, FinishReason } from '../../spec/chat.js';
import type { JsonObject } from '../../spec/json.js';
import type { StreamPart } from '../../spec/stream-part.js';
import { encodeSse } from '../../streaming/sse.js';
import { signatureToClient } from '../shared/reasoning-signature.js';
import {
  anthropicErrorType,
  anthropicId,
  encodeAnthropicStop,
  encodeAnthropicUsage,
} from './messages-response.js';
import { toAnthropicToolId } from './tool-ids.js';

type OpenBlock = { kind: 'text' | 'thinking' } | { kind: 'tool'; toolIndex: number };

/** Parts that open a text or thinking block of their own. */
const OPENS_ITS_OWN_BLOCK: ReadonlySet<StreamPart['type']> = new Set([
  'text-delta',
  'reasoning-delta',
  'reasoning-signature',
  'reasoning-redacted',
]);

/** A tool call that started while another one's block was open, held until that block closes. */
interface HeldCall {
  readonly id: string;
  readonly name: string;
  args: string;
  ended: boolean;
}

/**
 * Canonical stream parts → Anthropic Messages stream events.
 *
 * Anthropic content blocks cannot interleave, but OpenAI-format upstreams may stream several
 * tool calls' argument fragments alternately. The first call streams live in its block; a call
 * that starts while another block is open is held whole (nothing dropped) and sent as its own
 * tool_use block once the open one closes, or at the end of the message.
 */
export function encodeAnthropicStream(
  request: ChatRequest,
  _requestId: string,
): TransformStream<StreamPart, Uint8Array> {
  let out: TransformStreamDefaultController<Uint8Array>;
  let started = false;
  let failed = false;
  let blockIndex = -1;
  let open: OpenBlock | null = null;
  const held = new Map<number, HeldCall>();
  let finish: { reason: FinishReason; stopSequence?: string } = { reason: 'stop' };
  let usage: ChatUsage | null = null;

  const emit = (event: string, data: JsonObject) =>
    out.enqueue(encodeSse(JSON.stringify({ type: event, ...data }), event));
  const start = (id: string, model: string) => {
    if (started) return;
    started = true;
    emit('message_start', {
      message: {
        id: anthropicId(id),
        type: 'message',
        role: 'assistant',
        model: model || request.model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: encodeAnthropicUsage(null),
      },
    });
    emit('ping', {});
  };
  const close = () => {
    if (open) emit('content_block_stop', { index: blockIndex });
    open = null;
  };
  const openBlock = (block: OpenBlock, contentBlock: JsonObject) => {
    close();
    open = block;
    blockIndex++;
    emit('content_block_start', { index: blockIndex, content_block: contentBlock });
  };
  const toolDelta = (partial: string) =>
    emit('content_block_delta', {
      index: blockIndex,
      delta: { type: 'input_json_delta', partial_json: partial },
    });
  /** Sends held calls in order; one still streaming stays open and streams live from here on. */
  const releaseHeld = (all: boolean) => {
    for (const [toolIndex, call] of held) {
      if (open) return;
      held.delete(toolIndex);
      openBlock(
        { kind: 'tool', toolIndex },
        { type: 'tool_use', id: toAnthropicToolId(call.id), name: call.name, input: {} },
      );
      if (call.args) toolDelta(call.args);
      if (call.ended || all) close();
    }
  };

  /**
   * Text or thinking that arrived while a tool call streams live in its block (some upstreams
   * send a bit of text with a call's next fragment): opening its block would close the call's,
   * and the call's later fragments would have nowhere to go. Sent once the call's block closes.
   */
  let deferred: StreamPart[] = [];
  const sendDeferred = () => {
    const parts = deferred;
    deferred = [];
    for (const part of parts) handle(part);
  };

  const handle = (part: StreamPart) => {
    if (open?.kind === 'tool' && OPENS_ITS_OWN_BLOCK.has(part.type)) {
      deferred.push(part);
      return;
    }
    switch (part.type) {
      case 'text-delta':
        if (open?.kind !== 'text') openBlock({ kind: 'text' }, { type: 'text', text: '' });
        return emit('content_block_delta', {
          index: blockIndex,
          delta: { type: 'text_delta', text: part.text },
        });
      case 'reasoning-delta':
        if (open?.kind !== 'thinking')
          openBlock({ kind: 'thinking' }, { type: 'thinking', thinking: '', signature: '' });
        return emit('content_block_delta', {
          index: blockIndex,
          delta: { type: 'thinking_delta', thinking: part.text },
        });
      case 'reasoning-signature':
        if (open?.kind !== 'thinking')
          openBlock({ kind: 'thinking' }, { type: 'thinking', thinking: '', signature: '' });
        emit('content_block_delta', {
          index: blockIndex,
          delta: { type: 'signature_delta', signature: signatureToClient('anthropic', part.signature) },
        });
        return close();
      case 'reasoning-redacted':
        openBlock({ kind: 'thinking' }, { type: 'redacted_thinking', data: part.data });
        return close();
      case 'tool-call-start':
        if (open?.kind === 'tool' && open.toolIndex !== part.index) {
          held.set(part.index, { id: part.id, name: part.name, args: '', ended: false });
          return;
        }
        return openBlock(
          { kind: 'tool', toolIndex: part.index },
          { type: 'tool_use', id: toAnthropicToolId(part.id), name: part.name, input: {} },
        );
      case 'tool-call-delta': {
        const waiting = held.get(part.index);
        if (waiting) waiting.args += part.argumentsDelta;
        else if (open?.kind === 'tool' && open.toolIndex === part.index) toolDelta(part.argumentsDelta);
        return;
      }
      case 'tool-call-end': {
        const waiting = held.get(part.index);
        if (waiting) waiting.ended = true;
        else if (open?.kind === 'tool' && open.toolIndex === part.index) {
          close();
          sendDeferred();
          releaseHeld(false);
        }
        return;
      }
      case 'finish':
        close();
        sendDeferred();
        close();
        releaseHeld(true);
        finish = part.stopSequence
          ? { reason: part.reason, stopSequence: part.stopSequence }
          : { reason: part.reason };
        return;
      case 'usage':
        usage = part.usage;
        return;
      case 'error':
        failed = true;
        emit('error', {
          error: { type: anthropicErrorType(502), message: `upstream stream failed: ${part.message}` },
        });
        return;
    }
  };

  return new TransformStream<StreamPart, Uint8Array>({
    transform(part, controller) {
      out = controller;
      if (failed) return;
      if (part.type === 'start') return start(part.id, part.model);
      start('msg_gateway', request.model);
      handle(part);
    },
    flush(controller) {
      out = controller;
      if (failed) return;
      // An upstream that streamed nothing but its end: still a whole (empty) message.
      start('msg_gateway', request.model);
      close();
      sendDeferred();
      close();
      releaseHeld(true);
      emit('message_delta', {
        delta: {
          stop_reason: encodeAnthropicStop(finish.reason),
          stop_sequence: finish.stopSequence ?? null,
        },
        usage: encodeAnthropicUsage(usage),
      });
      emit('message_stop', {});
    },
  });
}
