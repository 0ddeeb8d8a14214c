import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One chat request the scripted upstream received. */
export interface SeenChat {
  readonly stream: boolean;
  readonly json: {
    messages?: { role: string; content?: unknown; tool_calls?: unknown }[];
    tools?: { function?: { name?: string } }[];
  };
}

export interface ScriptedUpstream {
  readonly baseUrl: string;
  readonly seen: SeenChat[];
  close(): Promise<void>;
}

/**
 * An OpenAI-format chat upstream that plays one agent turn by what each request holds:
 * a conversation offering the `Read` tool and no result yet → a call to Read `filePath`;
 * one holding the tool result → `finalText`; anything else (Claude Code's side requests, e.g.
 * a title) → a short text answer. Streams when asked to, as Claude Code always asks.
 */
export async function startScriptedUpstream(filePath: string, finalText: string): Promise<ScriptedUpstream> {
  const seen: SeenChat[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let text = '';
    req.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8');
    });
    req.on('end', () => {
      const json = (text ? JSON.parse(text) : {}) as SeenChat['json'];
      const stream = (json as { stream?: boolean }).stream === true;
      seen.push({ stream, json });
      const messages = json.messages ?? [];
      const offersRead = (json.tools ?? []).some((t) => t.function?.name === 'Read');
      const hasResult = messages.some((m) => m.role === 'tool');
      if (offersRead && !hasResult)
        return answer(res, stream, {
          toolCall: { name: 'Read', arguments: JSON.stringify({ file_path: filePath }) },
        });
      return answer(res, stream, { text: hasResult ? finalText : 'Reading a file' });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function answer(
  res: ServerResponse,
  stream: boolean,
  reply: { text?: string; toolCall?: { name: string; arguments: string } },
): void {
  const base = { id: 'chatcmpl-scripted', created: 1_700_000_000, model: 'scripted' };
  const usage = { prompt_tokens: 100, completion_tokens: 20, total_tokens: 120 };
  const finish = reply.toolCall ? 'tool_calls' : 'stop';
  const toolCalls = reply.toolCall
    ? [{ index: 0, id: 'call_read_1', type: 'function', function: reply.toolCall }]
    : undefined;
  if (!stream) {
    const message = {
      role: 'assistant',
      content: reply.text ?? null,
      ...(toolCalls ? { tool_calls: toolCalls } : {}),
    };
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        ...base,
        object: 'chat.completion',
        choices: [{ index: 0, message, finish_reason: finish }],
        usage,
      }),
    );
    return;
  }
  const chunk = (delta: unknown, finishReason: string | null = null) =>
    `data: ${JSON.stringify({ ...base, object: 'chat.completion.chunk', choices: [{ index: 0, delta, finish_reason: finishReason }] })}\n\n`;
  const frames = [chunk({ role: 'assistant', content: '' })];
  if (reply.text) frames.push(chunk({ content: reply.text }));
  if (toolCalls) frames.push(chunk({ tool_calls: toolCalls }));
  frames.push(chunk({}, finish));
  frames.push(
    `data: ${JSON.stringify({ ...base, object: 'chat.completion.chunk', choices: [], usage })}\n\n`,
  );
  frames.push('data: [DONE]\n\n');
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  res.end(frames.join(''));
}
