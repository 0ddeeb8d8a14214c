import type { StreamPart } from '../../spec/stream-part.js';
import type { SseEvent } from '../../spec/wire.js';
import { CUT_SHORT } from '../shared/cut-short.js';
import { eventObject, obj, objects, str } from '../shared/json-read.js';
import {
  decodeGeminiFinish,
  decodeGeminiParts,
  decodeGeminiUsage,
  geminiBlockReason,
  geminiFailedCall,
} from './generate-response.js';

/** streamGenerateContent?alt=sse events (each a partial GenerateContentResponse) → canonical parts. */
export function decodeGeminiStream(): TransformStream<SseEvent, StreamPart> {
  let started = false;
  let id = '';
  let calls = 0;
  let finished = false;
  /** An error or a blocked prompt ended the stream (a finishReason sets `finished`). */
  let failed = false;
  return new TransformStream<SseEvent, StreamPart>({
    flush(controller) {
      if (!finished && !failed) controller.enqueue(CUT_SHORT);
    },
    transform(event, controller) {
      const chunk = eventObject(event.data);
      if (!chunk) return;
      const error = obj(chunk.error);
      if (error) {
        failed = true;
        controller.enqueue({
          type: 'error',
          message: str(error.message) ?? 'upstream error',
          code: str(error.status) ?? 'api_error',
        });
        return;
      }
      const blocked = geminiBlockReason(chunk);
      if (blocked) {
        failed = true;
        controller.enqueue({ type: 'error', message: `Gemini refused: ${blocked}`, code: 'content_blocked' });
        return;
      }
      const failedCall = geminiFailedCall(chunk);
      if (failedCall) {
        failed = true;
        controller.enqueue({ type: 'error', message: failedCall, code: 'upstream_failed' });
        return;
      }
      if (!started) {
        started = true;
        id = str(chunk.responseId) ?? crypto.randomUUID().replace(/-/g, '');
        controller.enqueue({
          type: 'start',
          id: `chatcmpl-${id}`,
          model: str(chunk.modelVersion) ?? '',
          created: Math.floor(Date.now() / 1000),
        });
      }
      const candidate = objects(chunk.candidates)[0];
      const parts = decodeGeminiParts(
        objects(obj(candidate?.content)?.parts),
        (n) => `call_${id}_${n}`,
        calls,
      );
      for (const part of parts) {
        if (part.type === 'text') {
          if (part.text) controller.enqueue({ type: 'text-delta', text: part.text });
        } else if (part.type === 'reasoning') {
          if (part.text) controller.enqueue({ type: 'reasoning-delta', text: part.text });
          if (part.signature) controller.enqueue({ type: 'reasoning-signature', signature: part.signature });
        } else {
          // Gemini sends each function call whole, in one part.
          const index = calls++;
          controller.enqueue({ type: 'tool-call-start', index, id: part.id, name: part.name });
          controller.enqueue({ type: 'tool-call-delta', index, argumentsDelta: part.arguments });
          controller.enqueue({ type: 'tool-call-end', index });
        }
      }
      const usage = decodeGeminiUsage(chunk.usageMetadata);
      if (usage) controller.enqueue({ type: 'usage', usage });
      const reason = str(candidate?.finishReason);
      if (reason && !finished) {
        finished = true;
        controller.enqueue({ type: 'finish', reason: decodeGeminiFinish(reason, calls > 0) });
      }
    },
  });
}
