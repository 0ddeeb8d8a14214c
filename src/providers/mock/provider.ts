import { isJsonObject, type JsonObject } from '../../spec/json.js';
import type { OutgoingRequest, Provider, UpstreamCall } from '../../spec/provider.js';
import { openAiWire } from '../openai-compatible/wire.js';
import { translatedChatBody } from '../shared/chat-body.js';
import { float32Base64, mockAnswer, mockEmbedding, mockTokenCount, promptText } from './mock-content.js';

/**
 * A provider that needs no network: it answers chat, completions and embeddings in the OpenAI
 * wire format, deterministically, so the gateway works out of the box and demos are reproducible.
 */
export const mockProvider: Provider = {
  name: 'mock',
  defaultBaseUrl: 'mock://local',
  requiresKey: false,
  forwardsAnyPath: false,
  buildRequest(call: UpstreamCall): OutgoingRequest {
    return {
      url: `mock://local${call.path}`,
      method: call.method,
      headers: {},
      body: call.rawBody,
    };
  },
  async send(_request, call) {
    // Chat from another front door (Anthropic, Gemini) is read in the OpenAI format it speaks.
    const translated = translatedChatBody(call, openAiWire.name, openAiWire.upstream);
    const parsed: unknown = translated === null ? null : JSON.parse(translated);
    const body: JsonObject = isJsonObject(parsed) ? parsed : (call.json ?? {});
    const model = call.target.upstreamModel;
    switch (call.operation) {
      case 'chat':
        return call.stream ? chatStream(body, model) : json(chatCompletion(body, model));
      case 'completions':
        return json(textCompletion(body, model));
      case 'embeddings':
        return json(embeddings(body, model));
      default:
        return json(
          {
            error: {
              message: `the mock provider does not serve ${call.path}`,
              type: 'invalid_request_error',
              code: 'unsupported_path',
              param: null,
            },
          },
          404,
        );
    }
  },
};

const CREATED = 1_700_000_000;

function json(payload: unknown, status = 200): Response {
  return new Response(JSON.stringify(payload), { status, headers: { 'content-type': 'application/json' } });
}

function usageFor(prompt: string, completion: string) {
  const promptTokens = mockTokenCount(prompt);
  const completionTokens = mockTokenCount(completion);
  return {
    prompt_tokens: promptTokens,
    completion_tokens: completionTokens,
    total_tokens: promptTokens + completionTokens,
  };
}

function chatCompletion(body: JsonObject, model: string) {
  const content = mockAnswer(body.messages);
  return {
    id: 'chatcmpl-mock',
    object: 'chat.completion',
    created: CREATED,
    model,
    choices: [{ index: 0, message: { role: 'assistant', content }, logprobs: null, finish_reason: 'stop' }],
    usage: usageFor(promptText(body), content),
  };
}

function chatStream(body: JsonObject, model: string): Response {
  const content = mockAnswer(body.messages);
  const pieces = content.match(/\S+\s*/g) ?? [content];
  const base = { id: 'chatcmpl-mock', object: 'chat.completion.chunk', created: CREATED, model };
  const events: unknown[] = [
    { ...base, choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] },
  ];
  for (const piece of pieces)
    events.push({ ...base, choices: [{ index: 0, delta: { content: piece }, finish_reason: null }] });
  events.push({ ...base, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] });
  const options = body.stream_options;
  if (isJsonObject(options) && options.include_usage === true) {
    events.push({ ...base, choices: [], usage: usageFor(promptText(body), content) });
  }
  const text = `${events.map((e) => `data: ${JSON.stringify(e)}\n\n`).join('')}data: [DONE]\n\n`;
  return new Response(text, { status: 200, headers: { 'content-type': 'text/event-stream; charset=utf-8' } });
}

function textCompletion(body: JsonObject, model: string) {
  const prompt = promptText(body);
  const text = mockAnswer([{ role: 'user', content: prompt }]);
  return {
    id: 'cmpl-mock',
    object: 'text_completion',
    created: CREATED,
    model,
    choices: [{ index: 0, text, logprobs: null, finish_reason: 'stop' }],
    usage: usageFor(prompt, text),
  };
}

function embeddings(body: JsonObject, model: string) {
  const inputs = Array.isArray(body.input) ? body.input : [body.input ?? ''];
  const texts = inputs.map((item) => (typeof item === 'string' ? item : JSON.stringify(item)));
  const promptTokens = texts.reduce((sum, text) => sum + mockTokenCount(text), 0);
  return {
    object: 'list',
    model,
    data: texts.map((text, index) => {
      const vector = mockEmbedding(text);
      // The openai SDKs ask for base64 by default and decode it as little-endian float32.
      const embedding = body.encoding_format === 'base64' ? float32Base64(vector) : vector;
      return { object: 'embedding', index, embedding };
    }),
    usage: { prompt_tokens: promptTokens, total_tokens: promptTokens },
  };
}
