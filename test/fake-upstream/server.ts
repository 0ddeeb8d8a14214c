import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { answerAnthropic } from './anthropic-format.js';
import type { Behavior, ReceivedRequest } from './behaviors.js';
import { answerGemini } from './gemini-format.js';
import {
  chatChunks,
  chatCompletion,
  embeddingList,
  FAKE_TOOL_ARGUMENTS,
  textCompletion,
  toolCallChunks,
  toolCallCompletion,
} from './openai-format.js';
import { answerResponses } from './responses-format.js';

export type { Behavior, ReceivedRequest } from './behaviors.js';

/**
 * A scripted OpenAI-compatible upstream on 127.0.0.1. Behaviors are taken from a FIFO queue
 * (`enqueue`) or, persistently, by the Bearer key a request carries (`onKey`); otherwise the
 * request is answered normally. Every request is recorded for assertions.
 */
export interface FakeUpstream {
  readonly url: string;
  /** Base URL to put in a channel: `${url}/v1`. */
  readonly baseUrl: string;
  readonly requests: ReceivedRequest[];
  enqueue(...behaviors: Behavior[]): void;
  onKey(key: string, behavior: Behavior): void;
  reset(): void;
  close(): Promise<void>;
}

export async function startFakeUpstream(
  options: { port?: number; record?: boolean } = {},
): Promise<FakeUpstream> {
  const queue: Behavior[] = [];
  const byKey = new Map<string, Behavior>();
  const requests: ReceivedRequest[] = [];
  const sockets = new Set<Socket>();
  const record = options.record ?? true;

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let json: Record<string, unknown> | null = null;
      try {
        json = body ? (JSON.parse(body) as Record<string, unknown>) : null;
      } catch {
        json = null;
      }
      const received: ReceivedRequest = {
        method: req.method ?? 'GET',
        path: req.url ?? '/',
        headers: req.headers,
        body,
        json,
        abortedAt: null,
        receivedAt: Date.now(),
        sent: [],
      };
      if (record) requests.push(received);
      recordSent(res, received.sent);
      res.on('close', () => {
        if (!res.writableFinished) received.abortedAt = Date.now();
      });
      const key =
        /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ??
        [req.headers['x-api-key'], req.headers['x-goog-api-key'], req.headers['api-key']].find(
          (h): h is string => typeof h === 'string',
        ) ??
        '';
      const behavior = queue.shift() ?? byKey.get(key) ?? { kind: 'ok' };
      answer(req, res, received, behavior);
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    baseUrl: `${url}/v1`,
    requests,
    enqueue: (...behaviors) => queue.push(...behaviors),
    onKey: (key, behavior) => byKey.set(key, behavior),
    reset() {
      queue.length = 0;
      byKey.clear();
      requests.length = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

function answer(
  req: IncomingMessage,
  res: ServerResponse,
  received: ReceivedRequest,
  behavior: Behavior,
): void {
  const path = (req.url ?? '').split('?')[0] ?? '';
  const json = received.json ?? {};
  const model = typeof json.model === 'string' ? json.model : 'fake-model';
  // Merged into whatever the format's writeHead sends (its own headers win on a clash).
  if (behavior.kind === 'ok' && behavior.headers)
    for (const [name, value] of Object.entries(behavior.headers)) res.setHeader(name, value);
  switch (behavior.kind) {
    case 'hang':
      return;
    case 'reset':
      req.socket.destroy();
      return;
    case 'status':
      res.writeHead(behavior.status, { 'content-type': 'application/json', ...behavior.headers });
      res.end(
        JSON.stringify(
          behavior.body ?? {
            error: {
              message: `fake upstream says ${behavior.status}`,
              type: 'fake_error',
              code: `http_${behavior.status}`,
              param: null,
            },
          },
        ),
      );
      return;
    case 'raw-sse':
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end(behavior.body);
      return;
    case 'raw-pieces':
      writePieces(res, behavior);
      return;
    default:
      break;
  }

  // Other wire formats, by path: Anthropic Messages and Gemini generateContent.
  if (path.endsWith('/messages') && req.method === 'POST') {
    answerAnthropic(res, json, behavior);
    return;
  }
  if (/:(stream)?generateContent$/i.test(path)) {
    answerGemini(res, path, json, behavior);
    return;
  }
  if (path.endsWith('/responses') && req.method === 'POST') {
    answerResponses(res, json);
    return;
  }
  if (path.endsWith('/models') && req.method === 'GET') {
    sendJson(res, {
      object: 'list',
      data: [{ id: 'fake-model', object: 'model', created: 0, owned_by: 'fake' }],
    });
    return;
  }
  if (path.endsWith('/embeddings')) {
    const input = Array.isArray(json.input) ? json.input.map(String) : [String(json.input ?? '')];
    sendJson(res, embeddingList(model, input, json.encoding_format === 'base64'));
    return;
  }
  if (path.endsWith('/completions') && !path.endsWith('/chat/completions')) {
    sendJson(res, textCompletion(model, 'fake completion text'));
    return;
  }
  if (!path.endsWith('/chat/completions')) {
    // Any other path echoes the request, after `delayMs` (an image generation's wait).
    const echo = () => sendJson(res, { echo: { method: req.method, path: req.url, body: received.body } });
    const wait = behavior.kind === 'ok' ? (behavior.delayMs ?? 0) : 0;
    if (wait > 0) setTimeout(echo, wait);
    else echo();
    return;
  }

  const content = behavior.kind === 'ok' && behavior.content ? behavior.content : `fake answer from ${model}`;
  const promptTokens = messagesLength(json.messages) % 97;
  const tools =
    Array.isArray(json.tools) && json.tools.length > 0
      ? (json.tools[0] as { function?: { name?: string } })
      : null;
  // A conversation that ends with the tool's result gets its final text answer.
  const lastRole = Array.isArray(json.messages)
    ? (json.messages.at(-1) as { role?: string } | undefined)?.role
    : undefined;
  const toolName = lastRole === 'tool' ? null : (tools?.function?.name ?? null);

  const delay = behavior.kind === 'ok' ? (behavior.delayMs ?? 0) : 0;
  const go = () => {
    if (json.stream !== true) {
      sendJson(
        res,
        toolName
          ? toolCallCompletion(model, toolName, FAKE_TOOL_ARGUMENTS, promptTokens)
          : chatCompletion(model, content, promptTokens),
        behavior.kind === 'ok' && behavior.chunked === true,
      );
      return;
    }
    const options = json.stream_options as { include_usage?: boolean } | undefined;
    const events = toolName
      ? toolCallChunks(model, toolName, FAKE_TOOL_ARGUMENTS)
      : chatChunks(model, content, options?.include_usage === true, promptTokens);
    streamEvents(res, events, behavior);
  };
  if (delay > 0) setTimeout(go, delay);
  else go();
}

/** The messages' JSON length; nesting too deep to stringify (the route fuzz sends it) counts as 0. */
function messagesLength(messages: unknown): number {
  try {
    return JSON.stringify(messages ?? []).length;
  } catch {
    return 0;
  }
}

/**
 * Writes each piece in a socket write of its own, the next one only once the previous was
 * handed to the kernel and a turn of the event loop passed, so the reader sees the splits.
 */
function writePieces(res: ServerResponse, behavior: Extract<Behavior, { kind: 'raw-pieces' }>): void {
  res.writeHead(behavior.status ?? 200, { 'content-type': 'text/event-stream', ...behavior.headers });
  res.flushHeaders();
  let index = 0;
  const next = () => {
    if (res.destroyed) return;
    const piece = behavior.pieces[index++];
    if (piece === undefined) {
      if (!behavior.stall) res.end();
      return;
    }
    res.write(piece, () => setImmediate(next));
  };
  next();
}

/** Keeps a copy of every body chunk written to `res`. */
function recordSent(res: ServerResponse, sent: Uint8Array[]): void {
  const copy = (chunk: unknown) => {
    if (typeof chunk === 'string') sent.push(Buffer.from(chunk, 'utf8'));
    else if (chunk instanceof Uint8Array) sent.push(Buffer.from(chunk));
  };
  const write = res.write.bind(res) as (...args: unknown[]) => boolean;
  const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
  res.write = ((chunk: unknown, ...rest: unknown[]) => {
    copy(chunk);
    return write(chunk, ...rest);
  }) as ServerResponse['write'];
  res.end = ((chunk?: unknown, ...rest: unknown[]) => {
    if (typeof chunk !== 'function') copy(chunk);
    return end(chunk, ...rest);
  }) as ServerResponse['end'];
}

function sendJson(res: ServerResponse, payload: unknown, chunked = false): void {
  const text = JSON.stringify(payload);
  if (chunked) {
    res.writeHead(200, { 'content-type': 'application/json' });
    const half = Math.floor(text.length / 2);
    res.write(text.slice(0, half));
    res.end(text.slice(half));
    return;
  }
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function streamEvents(res: ServerResponse, events: unknown[], behavior: Behavior): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  const frames = events.map((e) => `data: ${JSON.stringify(e)}\n\n`);
  frames.push('data: [DONE]\n\n');
  if (behavior.kind === 'ok') {
    res.end(frames.join(''));
    return;
  }
  let index = 0;
  const interval = behavior.kind === 'drip' ? behavior.intervalMs : 5;
  const timer = setInterval(() => {
    if (res.destroyed) return clearInterval(timer);
    if (behavior.kind === 'drop' && index === behavior.afterChunks) {
      clearInterval(timer);
      res.socket?.destroy();
      return;
    }
    if (behavior.kind === 'stall' && index === behavior.afterChunks) {
      clearInterval(timer);
      return;
    }
    if (behavior.kind === 'sse-error' && index === behavior.afterChunks) {
      clearInterval(timer);
      res.end(
        `data: ${JSON.stringify({ error: { message: 'overloaded mid-stream', type: 'server_error', code: 'overloaded' } })}\n\n`,
      );
      return;
    }
    const frame = frames[index++];
    if (frame === undefined) {
      clearInterval(timer);
      res.end();
      return;
    }
    res.write(frame);
  }, interval);
  res.on('close', () => clearInterval(timer));
}
