import { ApiError, errorFromResponse } from '../../api/client';
import type { ChatCompletionChunk, ChatMessage, ChatUsage, ModelList } from '../../api/types';
import { readSseData } from './sse';

/** The Playground's calls go to the client API with a CLIENT key (no admin cookie). */
function clientHeaders(key: string): Record<string, string> {
  return { authorization: `Bearer ${key}`, accept: 'application/json' };
}

export async function listModels(key: string, signal?: AbortSignal): Promise<string[]> {
  let res: Response;
  try {
    res = await fetch('/v1/models', {
      headers: clientHeaders(key),
      credentials: 'omit',
      ...(signal ? { signal } : {}),
    });
  } catch (err) {
    throw new ApiError(0, 'network_error', err instanceof Error ? err.message : String(err));
  }
  if (!res.ok) throw await errorFromResponse(res);
  const list = (await res.json()) as ModelList;
  return [...new Set(list.data.map((m) => m.id))].sort((a, b) => a.localeCompare(b));
}

export interface ChatRequest {
  key: string;
  model: string;
  messages: ChatMessage[];
  temperature: number | null;
  maxTokens: number | null;
}

export interface StreamHandlers {
  /** the x-request-id response header, as soon as the headers arrive */
  onRequestId: (id: string) => void;
  onText: (text: string) => void;
  onUsage: (usage: ChatUsage) => void;
}

/**
 * POST /v1/chat/completions with `stream: true` and `stream_options.include_usage`, feeding the
 * handlers as chunks arrive. Throws ApiError for an error answer and for an error event in the
 * middle of the stream (`data: {"error": {...}}`); an abort ends it quietly.
 */
export async function streamChat(
  req: ChatRequest,
  handlers: StreamHandlers,
  signal: AbortSignal,
): Promise<void> {
  const body = {
    model: req.model,
    messages: req.messages,
    stream: true,
    stream_options: { include_usage: true },
    ...(req.temperature !== null ? { temperature: req.temperature } : {}),
    ...(req.maxTokens !== null ? { max_tokens: req.maxTokens } : {}),
  };
  let res: Response;
  try {
    res = await fetch('/v1/chat/completions', {
      method: 'POST',
      headers: { ...clientHeaders(req.key), 'content-type': 'application/json', accept: 'text/event-stream' },
      credentials: 'omit',
      body: JSON.stringify(body),
      signal,
    });
  } catch (err) {
    if (signal.aborted) return;
    throw new ApiError(0, 'network_error', err instanceof Error ? err.message : String(err));
  }
  const requestId = res.headers.get('x-request-id');
  if (requestId) handlers.onRequestId(requestId);
  if (!res.ok) throw await errorFromResponse(res);
  if (!res.body) throw new ApiError(res.status, 'empty_body', 'the gateway sent no body');

  try {
    for await (const data of readSseData(res.body)) {
      if (data.trim() === '[DONE]') break;
      let chunk: ChatCompletionChunk;
      try {
        chunk = JSON.parse(data) as ChatCompletionChunk;
      } catch {
        continue;
      }
      if (chunk.error) {
        const e = chunk.error;
        throw new ApiError(
          res.status,
          e.code ?? 'stream_error',
          e.message,
          e.param ?? null,
          e.request_id ?? requestId,
        );
      }
      const text = chunk.choices?.[0]?.delta?.content;
      if (text) handlers.onText(text);
      if (chunk.usage) handlers.onUsage(chunk.usage);
    }
  } catch (err) {
    if (signal.aborted) return;
    if (err instanceof ApiError) throw err;
    throw new ApiError(0, 'stream_broken', err instanceof Error ? err.message : String(err), null, requestId);
  }
}
