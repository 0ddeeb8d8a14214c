import type { ChatRequest } from '../../spec/chat.js';
import type { JsonObject } from '../../spec/json.js';
import type { StreamPart } from '../../spec/stream-part.js';
import type { SseEvent } from '../../spec/wire.js';
import { encodeSse } from '../../streaming/sse.js';
import { CUT_SHORT } from '../shared/cut-short.js';
import { eventObject, num, obj, objects, str } from '../shared/json-read.js';
import {
  decodeOpenAiFinish,
  decodeOpenAiUsage,
  encodeOpenAiFinish,
  encodeOpenAiUsage,
  openAiStopSequence,
} from './chat-response.js';

/** OpenAI chat completion chunks → canonical stream parts. */
export function decodeOpenAiStream(): TransformStream<SseEvent, StreamPart> {
  let started = false;
  /** An error or `[DONE]` arrived: the stream ended as the format ends it. */
  let ended = false;
  /**
   * The choices seen and those finished. With several (`n` > 1) the stream ends when every one
   * has its finish_reason, not at the first: one cut before that is cut short.
   */
  const seen = new Set<number>();
  const finished = new Set<number>();
  const open = new Set<number>();
  /** A tool call started: a finish of "stop" then means the calls (see decodeOpenAiFinish). */
  let calledTools = false;
  const closeTools = (controller: TransformStreamDefaultController<StreamPart>) => {
    for (const index of open) controller.enqueue({ type: 'tool-call-end', index });
    open.clear();
  };
  return new TransformStream<SseEvent, StreamPart>({
    transform(event, controller) {
      if (event.data === '[DONE]') ended = true;
      const chunk = eventObject(event.data);
      if (!chunk) return;
      const error = obj(chunk.error);
      if (error) {
        ended = true;
        const code = str(error.code) ?? str(error.type);
        controller.enqueue({
          type: 'error',
          message: str(error.message) ?? 'upstream error',
          ...(code ? { code } : {}),
        });
        return;
      }
      if (!started) {
        started = true;
        controller.enqueue({
          type: 'start',
          id: str(chunk.id) ?? 'chatcmpl-gateway',
          model: str(chunk.model) ?? '',
          created: num(chunk.created) ?? Math.floor(Date.now() / 1000),
        });
      }
      for (const each of objects(chunk.choices)) {
        const index = num(each.index) ?? 0;
        seen.add(index);
        if (str(each.finish_reason)) finished.add(index);
      }
      // The canonical answer has one choice: the first (its chunks are `index` 0).
      const choice = objects(chunk.choices).find((each) => (num(each.index) ?? 0) === 0);
      const delta = obj(choice?.delta);
      if (delta) emitDelta(delta, open, controller);
      if (open.size > 0) calledTools = true;
      const finish = str(choice?.finish_reason);
      if (finish) {
        closeTools(controller);
        const stopSequence = calledTools ? undefined : openAiStopSequence(choice);
        controller.enqueue(
          stopSequence
            ? { type: 'finish', reason: 'stop-sequence', stopSequence }
            : { type: 'finish', reason: decodeOpenAiFinish(finish, calledTools) },
        );
      }
      // Moonshot (Kimi) sends its usage inside the last choice rather than beside the choices.
      const usage = decodeOpenAiUsage(chunk.usage ?? choice?.usage);
      if (usage) controller.enqueue({ type: 'usage', usage });
    },
    flush(controller) {
      closeTools(controller);
      const allFinished = finished.size > 0 && [...seen].every((index) => finished.has(index));
      if (!ended && !allFinished) controller.enqueue(CUT_SHORT);
    },
  });
}

function emitDelta(
  delta: JsonObject,
  open: Set<number>,
  controller: TransformStreamDefaultController<StreamPart>,
) {
  const reasoning = str(delta.reasoning_content) ?? str(delta.reasoning);
  if (reasoning) controller.enqueue({ type: 'reasoning-delta', text: reasoning });
  const signature = str(delta.reasoning_signature);
  if (signature) controller.enqueue({ type: 'reasoning-signature', signature });
  const content = str(delta.content);
  if (content) controller.enqueue({ type: 'text-delta', text: content });
  // A refusal streams in its own field (delta.refusal): text for clients of other formats.
  const refusal = content ? undefined : str(delta.refusal);
  if (refusal) controller.enqueue({ type: 'text-delta', text: refusal });
  for (const call of objects(delta.tool_calls)) {
    const index = num(call.index) ?? 0;
    const fn = obj(call.function);
    if (!open.has(index)) {
      // Calls may stream interleaved (fragments of index 0 and 1 alternating): a new index
      // does not close the earlier ones; all end with the choice's finish (or the stream's end).
      open.add(index);
      controller.enqueue({
        type: 'tool-call-start',
        index,
        id: str(call.id) ?? `call_${index}`,
        name: str(fn?.name) ?? '',
      });
    }
    const args = str(fn?.arguments);
    if (args) controller.enqueue({ type: 'tool-call-delta', index, argumentsDelta: args });
  }
}

/** Canonical stream parts → OpenAI chat completion chunks, ending with `data: [DONE]`. */
export function encodeOpenAiStream(
  request: ChatRequest,
  requestId: string,
): TransformStream<StreamPart, Uint8Array> {
  let base: JsonObject = {
    id: 'chatcmpl-gateway',
    object: 'chat.completion.chunk',
    created: Math.floor(Date.now() / 1000),
    model: request.model,
  };
  let usage: JsonObject | null = null;
  let failed = false;
  const chunk = (delta: JsonObject, finish: string | null = null) =>
    encodeSse(
      JSON.stringify({ ...base, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] }),
    );
  return new TransformStream<StreamPart, Uint8Array>({
    transform(part, controller) {
      if (failed) return;
      switch (part.type) {
        case 'start':
          base = { ...base, id: part.id, created: part.created, model: part.model || request.model };
          controller.enqueue(chunk({ role: 'assistant', content: '' }));
          return;
        case 'text-delta':
          return controller.enqueue(chunk({ content: part.text }));
        case 'reasoning-delta':
          return controller.enqueue(chunk({ reasoning_content: part.text }));
        case 'reasoning-signature':
          return controller.enqueue(chunk({ reasoning_signature: part.signature }));
        case 'tool-call-start':
          return controller.enqueue(
            chunk({
              tool_calls: [
                {
                  index: part.index,
                  id: part.id,
                  type: 'function',
                  function: { name: part.name, arguments: '' },
                },
              ],
            }),
          );
        case 'tool-call-delta':
          return controller.enqueue(
            chunk({ tool_calls: [{ index: part.index, function: { arguments: part.argumentsDelta } }] }),
          );
        case 'finish':
          return controller.enqueue(chunk({}, encodeOpenAiFinish(part.reason)));
        case 'usage':
          usage = encodeOpenAiUsage(part.usage);
          return;
        case 'error':
          failed = true;
          controller.enqueue(
            encodeSse(
              JSON.stringify({
                error: {
                  message: `upstream stream failed: ${part.message}`,
                  type: 'upstream_error',
                  code: part.code ?? 'upstream_stream_error',
                  param: null,
                  request_id: requestId,
                },
              }),
            ),
          );
          return;
        default:
          // Redacted reasoning and tool-call ends have no OpenAI chunk.
          return;
      }
    },
    flush(controller) {
      if (failed) return;
      if (usage && request.includeUsage)
        controller.enqueue(encodeSse(JSON.stringify({ ...base, choices: [], usage })));
      controller.enqueue(encodeSse('[DONE]'));
    },
  });
}
