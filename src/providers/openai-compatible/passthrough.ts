import type { PassthroughHooks } from '../../spec/wire.js';
import { sseErrorEvent } from '../../streaming/sse-error-event.js';
import { openAiAnswerKeepable, openAiStreamAnswer } from './chat-keepable.js';

/**
 * Same-format chat completions are relayed byte for byte with the OpenAI-shaped error event;
 * this keeps a completion with nothing in it, whole or streamed, out of the response cache.
 */
export const openAiPassthrough: PassthroughHooks = {
  errorEvent: sseErrorEvent,
  keepable: openAiAnswerKeepable,
  streamAnswer: openAiStreamAnswer,
};
