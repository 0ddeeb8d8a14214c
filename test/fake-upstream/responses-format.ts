import type { ServerResponse } from 'node:http';

/** The usage the fake Responses API reports for every answer (large, so a cost is visible). */
export const RESPONSES_USAGE = {
  input_tokens: 120_000,
  input_tokens_details: { cached_tokens: 20_000 },
  output_tokens: 60_000,
  output_tokens_details: { reasoning_tokens: 5_000 },
  total_tokens: 180_000,
} as const;

function responseObject(model: string, status: 'in_progress' | 'completed') {
  return {
    id: 'resp_fake_1',
    object: 'response',
    created_at: 0,
    status,
    model,
    output:
      status === 'completed'
        ? [
            {
              type: 'message',
              id: 'msg_fake_1',
              role: 'assistant',
              content: [{ type: 'output_text', text: 'fake responses answer', annotations: [] }],
            },
          ]
        : [],
    usage: status === 'completed' ? RESPONSES_USAGE : null,
  };
}

/** `POST /v1/responses`: a JSON response with `usage`, or SSE ending in `response.completed`. */
export function answerResponses(res: ServerResponse, json: Record<string, unknown>): void {
  const model = typeof json.model === 'string' ? json.model : 'fake-model';
  if (json.stream !== true) {
    const text = JSON.stringify(responseObject(model, 'completed'));
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
    return;
  }
  const events: [string, unknown][] = [
    ['response.created', { type: 'response.created', response: responseObject(model, 'in_progress') }],
    ['response.output_text.delta', { type: 'response.output_text.delta', delta: 'fake responses ' }],
    ['response.output_text.delta', { type: 'response.output_text.delta', delta: 'answer' }],
    ['response.completed', { type: 'response.completed', response: responseObject(model, 'completed') }],
  ];
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  res.end(events.map(([name, data]) => `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`).join(''));
}
