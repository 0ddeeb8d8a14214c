import type { PassthroughHooks } from '../../spec/wire.js';
import { encodeSse } from '../../streaming/sse.js';
import { geminiErrorBody } from './client-response.js';
import { geminiAnswerKeepable } from './generate-response.js';
import { geminiStreamAnswer } from './stream-answer.js';

/**
 * Native Gemini streams are relayed byte for byte (their `usageMetadata` is read by the shared
 * accounting tap); this supplies the error chunk Gemini clients raise for a stream that fails
 * mid-way, and keeps an empty or failed answer, whole or streamed, out of the response cache.
 */
export const geminiPassthrough: PassthroughHooks = {
  errorEvent(message, timedOut, requestId) {
    const status = timedOut ? 504 : 502;
    const text = timedOut ? `upstream stream stalled: ${message}` : `upstream stream failed: ${message}`;
    return encodeSse(JSON.stringify(geminiErrorBody({ status, code: '', message: text, requestId })));
  },
  keepable: geminiAnswerKeepable,
  streamAnswer: geminiStreamAnswer,
};
