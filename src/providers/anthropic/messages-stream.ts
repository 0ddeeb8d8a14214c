import type { ChatRequest, ChatUsage, FinishReason } from '../../spec/chat.js';
import type { JsonObject } from '../../spec/json.js';
import type { StreamPart } from '../../spec/stream-part.js';
import type { SseEvent } from '../../spec/wire.js';
import { encodeSse } from '../../streaming/sse.js';
import { eventObject, num, obj, str } from '../shared/json-read.js';
import {
  anthropicErrorType,
  anthropicId,
  decodeAnthropicStop,
  decodeAnthropicUsage,
  encodeAnthropicStop,
  encodeAnthropicUsage,
} from './messages-response.js';

interface ToolBlock {
  readonly toolIndex: number;
  readonly input: string;
  sawArguments: boolean;
}

/** Anthropic Messages stream events → canonical stream parts. */
export function decodeAnthropicStream(): TransformStream<SseEvent, StreamPart> {
  let usage: ChatUsage | null = null;
  let toolCount = 0;
  const tools = new Map<number, ToolBlock>();
  return new TransformStream<SseEvent, StreamPart>({
    transform(event, controller) {
      const payload = eventObject(event.data);
      if (!payload) return;
      const type = event.event ?? str(payload.type);
      const index = num(payload.index) ?? 0;
      switch (type) {
        case 'message_start': {
          const message = obj(payload.message) ?? {};
          usage = decodeAnthropicUsage(message.usage);
          controller.enqueue({
            type: 'start',
            id: str(message.id) ?? 'msg_gateway',
            model: str(message.model) ?? '',
            created: Math.floor(Date.now() / 1000),
          });
          return;
        }
        case 'content_block_start': {
          const block = obj(payload.content_block) ?? {};
          if (block.type === 'text' && str(block.text))
            controller.enqueue({ type: 'text-delta', text: str(block.text) ?? '' });
          else if (block.type === 'thinking' && str(block.thinking))
            controller.enqueue({ type: 'reasoning-delta', text: str(block.thinking) ?? '' });
          else if (block.type === 'redacted_thinking')
            controller.enqueue({ type: 'reasoning-redacted', data: str(block.data) ?? '' });
          else if (block.type === 'tool_use') {
            const toolIndex = toolCount++;
            tools.set(index, { toolIndex, input: JSON.stringify(block.input ?? {}), sawArguments: false });
            controller.enqueue({
              type: 'tool-call-start',
              index: toolIndex,
              id: str(block.id) ?? '',
              name: str(block.name) ?? '',
            });
          }
          return;
        }
        case 'content_block_delta': {
          const delta = obj(payload.delta) ?? {};
          if (delta.type === 'text_delta')
            controller.enqueue({ type: 'text-delta', text: str(delta.text) ?? '' });
          else if (delta.type === 'thinking_delta')
            controller.enqueue({ type: 'reasoning-delta', text: str(delta.thinking) ?? '' });
          else if (delta.type === 'signature_delta')
            controller.enqueue({ type: 'reasoning-signature', signature: str(delta.signature) ?? '' });
          else if (delta.type === 'input_json_delta') {
            const tool = tools.get(index);
            const partial = str(delta.partial_json) ?? '';
            if (tool && partial) {
              tool.sawArguments = true;
              controller.enqueue({ type: 'tool-call-delta', index: tool.toolIndex, argumentsDelta: partial });
            }
          }
          return;
        }
        case 'content_block_stop': {
          const tool = tools.get(index);
          if (!tool) return;
          // A call without argument deltas still has arguments: the block's initial `input`.
          if (!tool.sawArguments)
            controller.enqueue({
              type: 'tool-call-delta',
              index: tool.toolIndex,
              argumentsDelta: tool.input,
            });
          controller.enqueue({ type: 'tool-call-end', index: tool.toolIndex });
          tools.delete(index);
          return;
        }
        case 'message_delta': {
          const delta = obj(payload.delta) ?? {};
          const late = decodeAnthropicUsage(payload.usage);
          if (late) usage = mergeUsage(usage, obj(payload.usage) ?? {}, late);
          if (usage) controller.enqueue({ type: 'usage', usage });
          const stopSequence = str(delta.stop_sequence);
          controller.enqueue({
            type: 'finish',
            reason: decodeAnthropicStop(str(delta.stop_reason)),
            ...(stopSequence ? { stopSequence } : {}),
          });
          return;
        }
        case 'error': {
          const error = obj(payload.error) ?? {};
          controller.enqueue({
            type: 'error',
            message: str(error.message) ?? 'upstream error',
            code: str(error.type) ?? 'api_error',
          });
          return;
        }
        default:
          // ping, message_stop and unknown future events carry nothing to translate.
          return;
      }
    },
  });
}

/** message_delta usage is cumulative, and omits input counts that did not change. */
function mergeUsage(start: ChatUsage | null, raw: JsonObject, late: ChatUsage): ChatUsage {
  if (!start) return late;
  const hasInput = raw.input_tokens !== undefined;
  return {
    inputTokens: hasInput ? late.inputTokens : start.inputTokens,
    outputTokens: late.outputTokens,
    ...((late.cacheReadTokens ?? start.cacheReadTokens) !== undefined
      ? { cacheReadTokens: late.cacheReadTokens ?? start.cacheReadTokens }
      : {}),
    ...((late.cacheWriteTokens ?? start.cacheWriteTokens) !== undefined
      ? { cacheWriteTokens: late.cacheWriteTokens ?? start.cacheWriteTokens }
      : {}),
  };
}

type OpenBlock = { kind: 'text' | 'thinking' } | { kind: 'tool'; toolIndex: number };

/** Canonical stream parts → Anthropic Messages stream events. */
export function encodeAnthropicStream(
  request: ChatRequest,
  _requestId: string,
): TransformStream<StreamPart, Uint8Array> {
  let started = false;
  let failed = false;
  let blockIndex = -1;
  let open: OpenBlock | null = null;
  let finish: { reason: FinishReason; stopSequence?: string } = { reason: 'stop' };
  let usage: ChatUsage | null = null;
  return new TransformStream<StreamPart, Uint8Array>({
    transform(part, controller) {
      if (failed) return;
      const emit = (event: string, data: JsonObject) =>
        controller.enqueue(encodeSse(JSON.stringify({ type: event, ...data }), event));
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
      if (part.type === 'start') return start(part.id, part.model);
      start('msg_gateway', request.model);
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
            delta: { type: 'signature_delta', signature: part.signature },
          });
          return close();
        case 'reasoning-redacted':
          openBlock({ kind: 'thinking' }, { type: 'redacted_thinking', data: part.data });
          return close();
        case 'tool-call-start':
          return openBlock(
            { kind: 'tool', toolIndex: part.index },
            { type: 'tool_use', id: part.id, name: part.name, input: {} },
          );
        case 'tool-call-delta':
          // Anthropic blocks cannot interleave; upstreams stream one tool call at a time.
          if (open?.kind === 'tool' && open.toolIndex === part.index)
            emit('content_block_delta', {
              index: blockIndex,
              delta: { type: 'input_json_delta', partial_json: part.argumentsDelta },
            });
          return;
        case 'tool-call-end':
          if (open?.kind === 'tool' && open.toolIndex === part.index) close();
          return;
        case 'finish':
          close();
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
    },
    flush(controller) {
      if (failed) return;
      const emit = (event: string, data: JsonObject) =>
        controller.enqueue(encodeSse(JSON.stringify({ type: event, ...data }), event));
      if (!started) return;
      if (open) emit('content_block_stop', { index: blockIndex });
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
