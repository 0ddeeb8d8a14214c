import type { ServerResponse } from 'node:http';
import { FAKE_THINKING } from './anthropic-format.js';
import type { Behavior } from './behaviors.js';
import { FAKE_TOOL_ARGUMENTS } from './openai-format.js';

/** Gemini generateContent / streamGenerateContent (alt=sse) answers of the fake upstream. */

export const FAKE_THOUGHT_SIGNATURE = 'CiQB0e2Kb-fake-thought-signature';

interface Asked {
  model: string;
  tool: string | null;
  thinking: boolean;
}

function asked(path: string, json: Record<string, unknown>): Asked {
  const model = /\/models\/([^:]+):/.exec(path)?.[1] ?? 'gemini-fake';
  const tools = Array.isArray(json.tools)
    ? (json.tools as { functionDeclarations?: { name?: string }[] }[])
    : [];
  const config = json.generationConfig as { thinkingConfig?: { includeThoughts?: boolean } } | undefined;
  return {
    model: decodeURIComponent(model),
    // A conversation that ends with the tool's result gets its final text answer.
    tool: endsWithFunctionResponse(json.contents)
      ? null
      : (tools[0]?.functionDeclarations?.[0]?.name ?? null),
    thinking: config?.thinkingConfig?.includeThoughts === true,
  };
}

function endsWithFunctionResponse(contents: unknown): boolean {
  const last = Array.isArray(contents) ? (contents.at(-1) as { parts?: unknown } | undefined) : undefined;
  return (
    Array.isArray(last?.parts) && last.parts.some((p: { functionResponse?: unknown }) => p?.functionResponse)
  );
}

const usage = (output: number) => ({
  promptTokenCount: 30,
  candidatesTokenCount: output,
  totalTokenCount: 30 + output + 7,
  thoughtsTokenCount: 7,
  cachedContentTokenCount: 10,
});

function chunk(a: Asked, parts: unknown[], finishReason?: string, output = 0) {
  return {
    candidates: [{ content: { role: 'model', parts }, ...(finishReason ? { finishReason } : {}), index: 0 }],
    ...(finishReason ? { usageMetadata: usage(output) } : {}),
    modelVersion: a.model,
    responseId: 'fakeResponseId',
  };
}

/** The parts of one answer: optional thought, then a function call (signed) or text. */
function parts(a: Asked, content: string): unknown[][] {
  const out: unknown[][] = [];
  if (a.thinking) out.push([{ text: FAKE_THINKING, thought: true }]);
  if (a.tool)
    out.push([
      {
        functionCall: { name: a.tool, args: JSON.parse(FAKE_TOOL_ARGUMENTS) },
        thoughtSignature: FAKE_THOUGHT_SIGNATURE,
      },
    ]);
  else for (const piece of content.match(/\S+\s*/g) ?? [content]) out.push([{ text: piece }]);
  return out;
}

/** Answers POST /v1beta/models/{model}:generateContent or :streamGenerateContent?alt=sse. */
export function answerGemini(
  res: ServerResponse,
  path: string,
  json: Record<string, unknown>,
  behavior: Behavior,
): void {
  const a = asked(path, json);
  const content = (behavior.kind === 'ok' && behavior.content) || `fake answer from ${a.model}`;
  const pieces = parts(a, content);
  if (json.__blocked === true || content === 'BLOCK') {
    const text = JSON.stringify({
      promptFeedback: { blockReason: 'SAFETY' },
      usageMetadata: { promptTokenCount: 30, totalTokenCount: 30 },
    });
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(text);
    return;
  }
  if (!path.includes(':streamGenerateContent')) {
    // A whole answer carries its text in one part, as Gemini's does.
    const whole = a.tool ? pieces.flat() : [...(a.thinking ? (pieces[0] ?? []) : []), { text: content }];
    const text = JSON.stringify(chunk(a, whole, 'STOP', 9));
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
    return;
  }
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  let frames = pieces.map((p, i) => chunk(a, p, i === pieces.length - 1 ? 'STOP' : undefined, 9));
  let tail = '';
  if (behavior.kind === 'sse-error') {
    frames = frames.slice(0, behavior.afterChunks);
    tail = `data: ${JSON.stringify({ error: { code: 503, message: 'The model is overloaded.', status: 'UNAVAILABLE' } })}\r\n\r\n`;
  }
  const text = (list: unknown[]) => list.map((f) => `data: ${JSON.stringify(f)}\r\n\r\n`).join('');
  if (behavior.kind === 'drop') {
    // The first frames reach the gateway, then the connection breaks off mid-answer.
    res.write(text(frames.slice(0, behavior.afterChunks)), () => res.socket?.destroy());
    return;
  }
  res.end(text(frames) + tail);
}
