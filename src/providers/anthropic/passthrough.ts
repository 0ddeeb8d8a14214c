import type { ChatUsage } from '../../spec/chat.js';
import { isJsonObject } from '../../spec/json.js';
import type { TokenUsage } from '../../spec/usage.js';
import type { PassthroughHooks } from '../../spec/wire.js';
import { encodeSse } from '../../streaming/sse.js';
import { obj } from '../shared/json-read.js';
import { anthropicErrorType, decodeAnthropicUsage } from './messages-response.js';

const toTokens = (usage: ChatUsage): TokenUsage => ({
  promptTokens: usage.inputTokens,
  completionTokens: usage.outputTokens,
  totalTokens: usage.inputTokens + usage.outputTokens,
  ...(usage.cacheReadTokens !== undefined ? { cachedTokens: usage.cacheReadTokens } : {}),
  ...(usage.cacheWriteTokens !== undefined ? { cacheWriteTokens: usage.cacheWriteTokens } : {}),
});

/**
 * Native Anthropic streams are relayed byte for byte; this reads their usage on the side
 * (message_start has the input counts, message_delta the cumulative output) and supplies the
 * Anthropic-shaped error event for a stream that fails mid-way.
 */
export const anthropicPassthrough: PassthroughHooks = {
  usageTap() {
    const decoder = new TextDecoder();
    let buffer = '';
    let input: ChatUsage | null = null;
    let output: ChatUsage | null = null;
    const inspect = (event: string) => {
      if (!event.includes('"usage"')) return;
      const data = event
        .split('\n')
        .filter((line) => line.startsWith('data:'))
        .map((line) => line.slice(5).trim())
        .join('\n');
      try {
        const parsed: unknown = JSON.parse(data);
        if (!isJsonObject(parsed)) return;
        if (parsed.type === 'message_start') input = decodeAnthropicUsage(obj(parsed.message)?.usage);
        else if (parsed.type === 'message_delta') output = decodeAnthropicUsage(parsed.usage);
      } catch {
        // Not JSON: nothing to count; the bytes went to the client unchanged anyway.
      }
    };
    return {
      onChunk(chunk) {
        buffer += decoder.decode(chunk, { stream: true }).replace(/\r\n/g, '\n');
        let boundary = buffer.indexOf('\n\n');
        while (boundary !== -1) {
          inspect(buffer.slice(0, boundary));
          buffer = buffer.slice(boundary + 2);
          boundary = buffer.indexOf('\n\n');
        }
      },
      usage() {
        if (buffer) inspect(buffer);
        buffer = '';
        const start = input as ChatUsage | null;
        const end = output as ChatUsage | null;
        if (!start && !end) return null;
        const outputTokens = end?.outputTokens ?? start?.outputTokens ?? 0;
        // message_delta repeats input counts only when they changed; otherwise message_start's stand.
        const base = end && end.inputTokens > 0 ? end : (start ?? end);
        return base ? toTokens({ ...base, outputTokens }) : null;
      },
    };
  },
  usageFromBody(body) {
    try {
      const parsed: unknown = JSON.parse(new TextDecoder().decode(body));
      const usage = isJsonObject(parsed) ? decodeAnthropicUsage(parsed.usage) : null;
      return usage ? toTokens(usage) : null;
    } catch {
      return null;
    }
  },
  errorEvent(message, timedOut, requestId) {
    const error = {
      type: anthropicErrorType(timedOut ? 504 : 502),
      message: timedOut ? `upstream stream stalled: ${message}` : `upstream stream failed: ${message}`,
    };
    return encodeSse(JSON.stringify({ type: 'error', error, request_id: requestId }), 'error');
  },
};
