import type { AssistantPart, ChatResponse } from '../spec/chat.js';
import type { StreamPart } from '../spec/stream-part.js';
import type { Pipeline } from './pipeline.js';

const OPEN = '<think>';
const CLOSE = '</think>\n\n';

/**
 * For editors (Cursor and the like) that show only `content`: reasoning is moved into the
 * content as `<think>…</think>` before the answer, in streams and whole answers alike.
 */
export const cursorPipeline: Pipeline = {
  name: 'cursor',
  rewriteResponse(response: ChatResponse): ChatResponse {
    const reasoning = response.parts.flatMap((p) => (p.type === 'reasoning' ? [p.text] : [])).join('');
    if (!reasoning) return response;
    const rest = response.parts.filter((p) => p.type !== 'reasoning');
    const think: AssistantPart = { type: 'text', text: `${OPEN}${reasoning}${CLOSE}` };
    const first = rest[0];
    // Merge with the answer text so clients that read one text part see both.
    const parts: AssistantPart[] =
      first?.type === 'text'
        ? [{ ...first, text: `${think.text}${first.text}` }, ...rest.slice(1)]
        : [think, ...rest];
    return { ...response, parts };
  },
  rewriteStream() {
    let thinking = false;
    return new TransformStream<StreamPart, StreamPart>({
      transform(part, controller) {
        if (part.type === 'reasoning-delta') {
          if (!thinking) controller.enqueue({ type: 'text-delta', text: OPEN });
          thinking = true;
          controller.enqueue({ type: 'text-delta', text: part.text });
          return;
        }
        if (part.type === 'reasoning-signature' || part.type === 'reasoning-redacted') return;
        if (thinking && part.type !== 'usage' && part.type !== 'start') {
          thinking = false;
          controller.enqueue({ type: 'text-delta', text: CLOSE });
        }
        controller.enqueue(part);
      },
      flush(controller) {
        if (thinking) controller.enqueue({ type: 'text-delta', text: CLOSE });
      },
    });
  },
};
