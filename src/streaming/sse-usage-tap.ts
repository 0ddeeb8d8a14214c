import { isJsonObject } from '../spec/json.js';
import type { TokenUsage } from '../spec/usage.js';
import { readOpenAiUsage } from '../usage/openai-usage.js';

export interface SseUsageTap {
  readonly onChunk: (chunk: Uint8Array) => void;
  readonly usage: () => TokenUsage | null;
}

/**
 * Watches an OpenAI SSE stream on its way to the client and keeps the last `usage` it saw.
 * Only events that mention usage are parsed, so the cost per chunk is one decode and a search.
 */
export function createSseUsageTap(): SseUsageTap {
  const decoder = new TextDecoder();
  let buffer = '';
  let found: TokenUsage | null = null;
  const inspect = (event: string) => {
    if (!event.includes('"usage"')) return;
    for (const line of event.split('\n')) {
      if (!line.startsWith('data:')) continue;
      const data = line.slice(5).trim();
      if (!data.startsWith('{')) continue;
      try {
        const parsed: unknown = JSON.parse(data);
        if (isJsonObject(parsed)) found = readOpenAiUsage(parsed.usage) ?? found;
      } catch {
        // Not JSON: nothing to count, and the bytes were forwarded unchanged anyway.
      }
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
      return found;
    },
  };
}
