import type { ChatUsage } from '../../spec/chat.js';
import type { JsonObject } from '../../spec/json.js';
import type { StreamPart } from '../../spec/stream-part.js';
import type { SseEvent } from '../../spec/wire.js';
import { CUT_SHORT } from '../shared/cut-short.js';
import { eventObject, num, obj, str } from '../shared/json-read.js';
import { signatureFrom } from '../shared/reasoning-signature.js';
import { decodeAnthropicStop, decodeAnthropicUsage } from './messages-response.js';

interface ToolBlock {
  readonly toolIndex: number;
  readonly input: string;
  sawArguments: boolean;
}

/** Anthropic Messages stream events → canonical stream parts. */
export function decodeAnthropicStream(): TransformStream<SseEvent, StreamPart> {
  let usage: ChatUsage | null = null;
  let toolCount = 0;
  /** message_delta (the stop reason), message_stop or an error arrived. */
  let ended = false;
  const tools = new Map<number, ToolBlock>();
  return new TransformStream<SseEvent, StreamPart>({
    flush(controller) {
      if (!ended) controller.enqueue(CUT_SHORT);
    },
    transform(event, controller) {
      const payload = eventObject(event.data);
      if (!payload) return;
      const type = event.event ?? str(payload.type);
      if (type === 'message_delta' || type === 'message_stop' || type === 'error') ended = true;
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
            controller.enqueue({
              type: 'reasoning-signature',
              signature: signatureFrom('anthropic', str(delta.signature) ?? ''),
            });
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
    ...((late.cacheWrite1hTokens ?? start.cacheWrite1hTokens) !== undefined
      ? { cacheWrite1hTokens: late.cacheWrite1hTokens ?? start.cacheWrite1hTokens }
      : {}),
  };
}
