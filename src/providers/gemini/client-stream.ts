import type { ChatRequest, ChatUsage, FinishReason } from '../../spec/chat.js';
import type { JsonObject } from '../../spec/json.js';
import type { StreamPart } from '../../spec/stream-part.js';
import { encodeSse } from '../../streaming/sse.js';
import { signatureToClient } from '../shared/reasoning-signature.js';
import {
  encodeGeminiFinish,
  encodeGeminiUsage,
  geminiChunk,
  geminiErrorBody,
  geminiFunctionCall,
  geminiResponseId,
} from './client-response.js';

interface OpenCall {
  id: string;
  name: string;
  args: string;
}

/**
 * Canonical stream → `streamGenerateContent?alt=sse`: one `data:` GenerateContentResponse per
 * text or thought delta, each function call whole once its arguments are complete (Gemini never
 * splits one), and a last chunk with `finishReason` and `usageMetadata`.
 */
export function encodeGeminiClientStream(
  request: ChatRequest,
  requestId: string,
): TransformStream<StreamPart, Uint8Array> {
  let model = request.model;
  let responseId = requestId;
  let signature: string | undefined;
  let usage: ChatUsage | null = null;
  let finish: FinishReason | null = null;
  let failed = false;
  const calls = new Map<number, OpenCall>();
  const send = (controller: TransformStreamDefaultController<Uint8Array>, parts: JsonObject[]) =>
    controller.enqueue(encodeSse(JSON.stringify(geminiChunk({ parts }, model, responseId))));
  const signed = (part: JsonObject): JsonObject => {
    if (!signature) return part;
    const out = { ...part, thoughtSignature: signature };
    signature = undefined;
    return out;
  };
  return new TransformStream<StreamPart, Uint8Array>({
    transform(part, controller) {
      if (failed) return;
      switch (part.type) {
        case 'start':
          model = part.model || model;
          responseId = geminiResponseId(part.id) || responseId;
          return;
        case 'text-delta':
          if (part.text) send(controller, [signed({ text: part.text })]);
          return;
        case 'reasoning-delta':
          if (part.text) send(controller, [{ text: part.text, thought: true }]);
          return;
        case 'reasoning-signature':
          signature = signatureToClient('gemini', part.signature);
          return;
        case 'reasoning-redacted':
          return;
        case 'tool-call-start':
          calls.set(part.index, { id: part.id, name: part.name, args: '' });
          return;
        case 'tool-call-delta': {
          const call = calls.get(part.index);
          if (call) call.args += part.argumentsDelta;
          return;
        }
        case 'tool-call-end': {
          const call = calls.get(part.index);
          calls.delete(part.index);
          if (call)
            send(controller, [signed({ functionCall: geminiFunctionCall(call.id, call.name, call.args) })]);
          return;
        }
        case 'usage':
          usage = part.usage;
          return;
        case 'finish':
          finish = part.reason;
          return;
        case 'error': {
          failed = true;
          const status = part.code === 'upstream_timeout' ? 504 : 502;
          const body = geminiErrorBody({ status, code: part.code ?? '', message: part.message, requestId });
          controller.enqueue(encodeSse(JSON.stringify(body)));
          return;
        }
      }
    },
    flush(controller) {
      if (failed) return;
      // Calls the upstream never closed still reach the client.
      const open = [...calls.values()].map((call) =>
        signed({ functionCall: geminiFunctionCall(call.id, call.name, call.args) }),
      );
      const parts = [...open, signed({ text: '' })];
      const chunk = geminiChunk(
        { parts, finishReason: encodeGeminiFinish(finish ?? 'stop'), usage: encodeGeminiUsage(usage) },
        model,
        responseId,
      );
      controller.enqueue(encodeSse(JSON.stringify(chunk)));
    },
  });
}
