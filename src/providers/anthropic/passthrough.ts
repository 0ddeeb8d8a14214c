import type { PassthroughHooks } from '../../spec/wire.js';
import { encodeSse } from '../../streaming/sse.js';
import { anthropicAnswerKeepable, anthropicStreamAnswer } from './message-keepable.js';
import { anthropicErrorType } from './messages-response.js';

/**
 * Native Anthropic streams are relayed byte for byte (their usage is read by the shared
 * accounting tap, src/usage/usage-scan.ts); this supplies the Anthropic-shaped error event for
 * a stream that fails mid-way, and keeps a message with nothing in it, whole or streamed, out of
 * the response cache.
 */
export const anthropicPassthrough: PassthroughHooks = {
  errorEvent(message, timedOut, requestId) {
    const error = {
      type: anthropicErrorType(timedOut ? 504 : 502),
      message: timedOut ? `upstream stream stalled: ${message}` : `upstream stream failed: ${message}`,
    };
    return encodeSse(JSON.stringify({ type: 'error', error, request_id: requestId }), 'error');
  },
  keepable: anthropicAnswerKeepable,
  streamAnswer: anthropicStreamAnswer,
};
