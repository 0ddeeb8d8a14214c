import {
  ApiError,
  type Content,
  FunctionCallingConfigMode,
  GoogleGenAI,
  type Tool,
  Type,
} from '@google/genai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FAKE_SIGNATURE, FAKE_THINKING } from '../fake-upstream/anthropic-format.js';
import { FAKE_TOOL_ARGUMENTS } from '../fake-upstream/openai-format.js';
import type { FakeUpstream } from '../fake-upstream/server.js';
import { waitFor } from '../support/http.js';
import type { TestGateway } from '../support/start-gateway.js';
import { PIXEL_PNG, startTranslationRig } from './setup.js';

let fake: FakeUpstream;
let gw: TestGateway;
let ai: GoogleGenAI;

beforeAll(async () => {
  ({ fake, gw } = await startTranslationRig());
  // What GOOGLE_GEMINI_BASE_URL + GEMINI_API_KEY give Gemini CLI: the SDK appends /v1beta/models/….
  ai = new GoogleGenAI({ apiKey: gw.key, httpOptions: { baseUrl: gw.url } });
});
afterAll(async () => {
  await gw?.close();
  await fake?.close();
});
beforeEach(() => fake.reset());

type Body = Record<string, unknown>;
const lastBody = () => fake.requests.at(-1)?.json as Body;

/** A Gemini-native schema (upper-case types), as Gemini CLI declares its tools. */
const weatherTool: Tool = {
  functionDeclarations: [
    {
      name: 'get_weather',
      description: 'Weather for a place',
      parameters: {
        type: Type.OBJECT,
        properties: {
          location: { type: Type.STRING },
          unit: { type: Type.STRING, enum: ['celsius', 'fahrenheit'] },
        },
        required: ['location'],
      },
    },
  ],
};

/** The tool calls and tool results an upstream got, in either OpenAI's or Anthropic's shape. */
function toolTurns(body: Body, wire: 'openai' | 'anthropic') {
  const calls: { id: unknown }[] = [];
  const results: { id: unknown; text: string }[] = [];
  for (const message of body.messages as Body[]) {
    if (wire === 'openai') {
      for (const call of (message.tool_calls as Body[] | undefined) ?? []) calls.push({ id: call.id });
      if (message.role === 'tool') results.push({ id: message.tool_call_id, text: String(message.content) });
      continue;
    }
    for (const block of Array.isArray(message.content) ? (message.content as Body[]) : []) {
      if (block.type === 'tool_use') calls.push({ id: block.id });
      if (block.type === 'tool_result') {
        const content = block.content;
        const text = Array.isArray(content)
          ? (content as Body[]).map((c) => c.text).join('')
          : String(content);
        results.push({ id: block.tool_use_id, text });
      }
    }
  }
  return { calls, results };
}

const UPSTREAMS = [
  { family: 'OpenAI-compatible', model: 'deepseek-chat', wire: 'openai' },
  { family: 'Anthropic', model: 'claude-native', wire: 'anthropic' },
] as const;

describe.each(UPSTREAMS)('@google/genai → Switchboard → $family upstream', ({ model, wire }) => {
  it('generateContent: text over several turns with system instruction and generation config', async () => {
    const response = await ai.models.generateContent({
      model,
      contents: [
        { role: 'user', parts: [{ text: 'Hello' }] },
        { role: 'model', parts: [{ text: 'Hi.' }] },
        { role: 'user', parts: [{ text: 'Weather?' }] },
      ],
      config: {
        systemInstruction: 'You are terse.',
        temperature: 0.25,
        topP: 0.9,
        maxOutputTokens: 200,
        stopSequences: ['END'],
      },
    });
    expect(response.text).toBe(`fake answer from ${model}`);
    expect(response.candidates?.[0]?.finishReason).toBe('STOP');
    expect(response.usageMetadata?.promptTokenCount).toBeGreaterThan(0);
    expect(response.usageMetadata?.candidatesTokenCount).toBeGreaterThan(0);
    expect(response.usageMetadata?.totalTokenCount).toBeGreaterThan(0);

    const body = lastBody();
    if (wire === 'openai') {
      expect(body).toMatchObject({
        model,
        messages: [
          { role: 'system', content: 'You are terse.' },
          { role: 'user', content: 'Hello' },
          { role: 'assistant', content: 'Hi.' },
          { role: 'user', content: 'Weather?' },
        ],
        temperature: 0.25,
        top_p: 0.9,
        max_tokens: 200,
        stop: ['END'],
      });
      expect(body.stream).toBeUndefined();
    } else {
      // A current Claude takes temperature or top_p, not both (anthropic-generation.test.ts).
      expect(body).toMatchObject({
        model,
        max_tokens: 200,
        temperature: 0.25,
        stop_sequences: ['END'],
        messages: [
          { role: 'user', content: [{ type: 'text', text: 'Hello' }] },
          { role: 'assistant', content: [{ type: 'text', text: 'Hi.' }] },
          { role: 'user', content: [{ type: 'text', text: 'Weather?' }] },
        ],
      });
      expect(JSON.stringify(body.system)).toContain('You are terse.');
    }
    const record = gw.usage.at(-1);
    expect(record).toMatchObject({ operation: 'chat', modelAsked: model, status: 200 });
    expect(record?.usage?.promptTokens).toBeGreaterThan(0);
  });

  it('generateContentStream: text deltas, then finishReason and usageMetadata', async () => {
    const stream = await ai.models.generateContentStream({
      model,
      contents: 'Tell me the weather',
    });
    let text = '';
    const chunks = [];
    for await (const chunk of stream) {
      chunks.push(chunk);
      text += chunk.text ?? '';
    }
    expect(text).toBe(`fake answer from ${model}`);
    expect(chunks.length).toBeGreaterThan(2);
    const last = chunks.at(-1);
    expect(last?.candidates?.[0]?.finishReason).toBe('STOP');
    expect(last?.usageMetadata?.totalTokenCount).toBeGreaterThan(0);
    const body = lastBody();
    expect(body.stream).toBe(true);
    expect(JSON.stringify(body.messages)).toContain('Tell me the weather');
    expect(gw.usage.at(-1)).toMatchObject({ stream: true, status: 200, countSource: 'upstream' });
  });

  it('function call round trip: functionCall → functionResponse → text', async () => {
    const first = await ai.models.generateContent({
      model,
      contents: 'Weather in Paris?',
      config: {
        tools: [weatherTool],
        toolConfig: {
          functionCallingConfig: {
            mode: FunctionCallingConfigMode.ANY,
            allowedFunctionNames: ['get_weather'],
          },
        },
      },
    });
    const call = first.functionCalls?.[0];
    expect(call?.name).toBe('get_weather');
    expect(call?.args).toEqual(JSON.parse(FAKE_TOOL_ARGUMENTS));
    const sent = lastBody();
    if (wire === 'openai') {
      expect(sent.tool_choice).toEqual({ type: 'function', function: { name: 'get_weather' } });
      expect(sent.tools).toEqual([
        {
          type: 'function',
          function: {
            name: 'get_weather',
            description: 'Weather for a place',
            parameters: {
              type: 'object',
              properties: {
                location: { type: 'string' },
                unit: { type: 'string', enum: ['celsius', 'fahrenheit'] },
              },
              required: ['location'],
            },
          },
        },
      ]);
    } else {
      expect(sent.tool_choice).toEqual({ type: 'tool', name: 'get_weather' });
      expect(sent.tools).toMatchObject([
        {
          name: 'get_weather',
          input_schema: { type: 'object', properties: { location: { type: 'string' } } },
        },
      ]);
    }

    const modelTurn = first.candidates?.[0]?.content as Content;
    const second = await ai.models.generateContent({
      model,
      contents: [
        { role: 'user', parts: [{ text: 'Weather in Paris?' }] },
        modelTurn,
        {
          role: 'user',
          parts: [
            { functionResponse: { name: 'get_weather', response: { output: '21 degrees and sunny' } } },
          ],
        },
      ],
      // The fake upstream calls a tool whenever one is offered; without, it answers in text.
    });
    expect(second.text).toBe(`fake answer from ${model}`);
    const body = lastBody();
    if (wire === 'openai') {
      const messages = body.messages as Body[];
      const assistant = messages.find((m) => m.role === 'assistant') as { tool_calls: Body[] };
      const tool = messages.find((m) => m.role === 'tool');
      expect(assistant.tool_calls[0]).toMatchObject({ function: { name: 'get_weather' } });
      expect(tool).toEqual({
        role: 'tool',
        tool_call_id: assistant.tool_calls[0]?.id,
        content: '21 degrees and sunny',
      });
    } else {
      const messages = body.messages as { role: string; content: Body[] }[];
      const use = messages[1]?.content.find((b) => b.type === 'tool_use');
      const result = messages[2]?.content.find((b) => b.type === 'tool_result');
      expect(use).toMatchObject({ name: 'get_weather', input: JSON.parse(FAKE_TOOL_ARGUMENTS) });
      expect(result).toMatchObject({ tool_use_id: use?.id });
      expect(JSON.stringify(result)).toContain('21 degrees and sunny');
    }
  });

  it('pairs functionResponse ids the client made up (Gemini CLI) with the id-less calls they answer', async () => {
    // Gemini CLI invents `${name}-${Date.now()}-${random}` for a functionCall that came without one.
    const second = await ai.models.generateContent({
      model,
      contents: [
        { role: 'user', parts: [{ text: 'Read both files' }] },
        {
          role: 'model',
          parts: [
            { functionCall: { name: 'read_file', args: { path: 'a.txt' } } },
            { functionCall: { name: 'read_file', args: { path: 'b.txt' } } },
          ],
        },
        {
          role: 'user',
          parts: [
            {
              functionResponse: {
                id: 'read_file-1730000000000-9f3a2b',
                name: 'read_file',
                response: { output: 'text of a' },
              },
            },
            {
              functionResponse: {
                id: 'read_file-1730000000001-c4d5e6',
                name: 'read_file',
                response: { output: 'text of b' },
              },
            },
          ],
        },
      ],
    });
    expect(second.text).toBe(`fake answer from ${model}`);
    const { calls, results } = toolTurns(lastBody(), wire);
    expect(calls).toHaveLength(2);
    expect(results.map((r) => r.id)).toEqual(calls.map((c) => c.id));
    expect(results.map((r) => r.text)).toEqual(['text of a', 'text of b']);
  });

  it('sends Gemini Schema parameters as valid JSON Schema: int64 limits as numbers, enums typed', async () => {
    // @google/genai types these limits as strings (int64 in proto JSON), and its enums as strings.
    await ai.models.generateContent({
      model,
      contents: 'Read the files',
      config: {
        tools: [
          {
            functionDeclarations: [
              {
                name: 'read_files',
                parameters: {
                  type: Type.OBJECT,
                  properties: {
                    paths: {
                      type: Type.ARRAY,
                      minItems: '1',
                      maxItems: '8',
                      items: { type: Type.STRING, minLength: '1', maxLength: '255' },
                    },
                    options: { type: Type.OBJECT, minProperties: '0', maxProperties: '4', properties: {} },
                    mode: { type: Type.STRING, format: 'enum', enum: ['fast', 'full'], nullable: true },
                    code: { type: Type.INTEGER, format: 'enum', enum: ['101', '202'] },
                  },
                  required: ['paths'],
                },
              },
            ],
          },
        ],
      },
    });
    const tool = (lastBody().tools as Body[])[0] as Body;
    const schema = wire === 'openai' ? (tool.function as Body).parameters : tool.input_schema;
    expect(schema).toEqual({
      type: 'object',
      properties: {
        paths: {
          type: 'array',
          minItems: 1,
          maxItems: 8,
          items: { type: 'string', minLength: 1, maxLength: 255 },
        },
        options: { type: 'object', minProperties: 0, maxProperties: 4, properties: {} },
        mode: { type: ['string', 'null'], enum: ['fast', 'full', null] },
        code: { type: 'integer', enum: [101, 202] },
      },
      required: ['paths'],
    });
  });

  it('takes functionCallingConfig mode MODE_UNSPECIFIED (the SDK enum’s default) as no mode', async () => {
    const answer = await ai.models.generateContent({
      model,
      contents: 'Weather in Paris?',
      config: {
        tools: [weatherTool],
        toolConfig: { functionCallingConfig: { mode: FunctionCallingConfigMode.MODE_UNSPECIFIED } },
      },
    });
    expect(answer.functionCalls?.[0]?.name).toBe('get_weather');
    expect(lastBody().tools).toHaveLength(1);
    expect(lastBody()).not.toHaveProperty('tool_choice');
  });

  it('streams a function call whole, with its arguments exactly', async () => {
    const stream = await ai.models.generateContentStream({
      model,
      contents: 'Weather in Paris?',
      config: { tools: [weatherTool] },
    });
    const calls = [];
    for await (const chunk of stream) calls.push(...(chunk.functionCalls ?? []));
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ name: 'get_weather', args: JSON.parse(FAKE_TOOL_ARGUMENTS) });
  });

  it('sends inline images and JSON output requests on to the upstream', async () => {
    await ai.models.generateContent({
      model,
      contents: [
        {
          role: 'user',
          parts: [{ inlineData: { mimeType: 'image/png', data: PIXEL_PNG } }, { text: 'What is this?' }],
        },
      ],
      config: {
        responseMimeType: 'application/json',
        responseSchema: { type: Type.OBJECT, properties: { answer: { type: Type.STRING } } },
      },
    });
    const body = lastBody();
    expect(JSON.stringify(body)).toContain(PIXEL_PNG);
    if (wire === 'openai')
      expect(body.response_format).toEqual({
        type: 'json_schema',
        json_schema: {
          name: 'response',
          schema: { type: 'object', properties: { answer: { type: 'string' } } },
        },
      });
  });

  it('turns an upstream failure mid-stream into an error chunk the SDK raises', async () => {
    fake.enqueue({ kind: 'sse-error', afterChunks: 2 });
    let text = '';
    const failed = await (async () => {
      for await (const chunk of await ai.models.generateContentStream({ model, contents: 'Hi' }))
        text += chunk.text ?? '';
    })().catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(ApiError);
    expect((failed as ApiError).status).toBe(502);
    expect(`fake answer from ${model}`.startsWith(text)).toBe(true);
    await waitFor(() => gw.usage.at(-1)?.status === 502, 'the failed stream recorded');
  });

  it('countTokens is answered by the gateway, without an upstream call', async () => {
    const counted = await ai.models.countTokens({
      model,
      contents: 'The quick brown fox jumps over the lazy dog, twice over.',
    });
    expect(counted.totalTokens).toBeGreaterThan(5);
    expect(fake.requests).toHaveLength(0);
  });
});

describe('@google/genai countTokens', () => {
  const question = 'Summarise this document in three sentences, please.';
  const withMedia: Content[] = [
    {
      role: 'user',
      parts: [
        { text: question },
        { inlineData: { mimeType: 'application/pdf', data: 'JVBERi0xLjQK' } },
        { fileData: { mimeType: 'audio/mpeg', fileUri: 'https://example.com/talk.mp3' } },
      ],
    },
  ];

  it.each([
    ['gemini-2.5-flash', 'Gemini'],
    ['deepseek-chat', 'OpenAI-compatible'],
  ])('counts documents and audio without refusing them (%s, %s channel)', async (model) => {
    const alone = await ai.models.countTokens({ model, contents: question });
    const counted = await ai.models.countTokens({ model, contents: withMedia });
    // The media count for something; what exactly is an estimate.
    expect(counted.totalTokens).toBeGreaterThan(alone.totalTokens ?? 0);
    expect(fake.requests).toHaveLength(0);
  });

  it('counts a whole generateContentRequest with built-in tools', async () => {
    // The SDK sends tools only in Vertex mode; a REST client may send them in the request.
    const res = await fetch(`${gw.url}/v1beta/models/gemini-2.5-flash:countTokens`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-goog-api-key': gw.key },
      body: JSON.stringify({
        generateContentRequest: {
          model: 'models/gemini-2.5-flash',
          contents: withMedia,
          tools: [{ googleSearch: {} }, { urlContext: {} }],
        },
      }),
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { totalTokens: number }).totalTokens).toBeGreaterThan(0);
  });
});

describe('@google/genai responseSchema → OpenAI-compatible upstream', () => {
  it('reaches response_format as valid JSON Schema (int64 limits as numbers)', async () => {
    await ai.models.generateContent({
      model: 'deepseek-chat',
      contents: 'Three tags, please',
      config: {
        responseMimeType: 'application/json',
        responseSchema: {
          type: Type.ARRAY,
          minItems: '1',
          maxItems: '3',
          items: { type: Type.STRING, maxLength: '20' },
        },
      },
    });
    expect(lastBody().response_format).toEqual({
      type: 'json_schema',
      json_schema: {
        name: 'response',
        schema: { type: 'array', minItems: 1, maxItems: 3, items: { type: 'string', maxLength: 20 } },
      },
    });
  });
});

describe('@google/genai → Switchboard → Anthropic upstream with thinking', () => {
  it('asks for thinking with the budget and returns thoughts as thought parts', async () => {
    const response = await ai.models.generateContent({
      model: 'claude-native',
      contents: 'Weather?',
      config: { thinkingConfig: { thinkingBudget: 2048, includeThoughts: true } },
    });
    expect(lastBody().thinking).toEqual({ type: 'enabled', budget_tokens: 2048 });
    const parts = response.candidates?.[0]?.content?.parts ?? [];
    expect(parts.find((p) => p.thought)?.text).toBe(FAKE_THINKING);
    expect(response.text).toBe('fake answer from claude-native');
  });

  it('streams signed thinking before a tool call, and takes the signed turn back intact', async () => {
    const config = { tools: [weatherTool], thinkingConfig: { thinkingBudget: 2048, includeThoughts: true } };
    const stream = await ai.models.generateContentStream({
      model: 'claude-native',
      contents: 'Weather?',
      config,
    });
    const parts = [];
    for await (const chunk of stream) parts.push(...(chunk.candidates?.[0]?.content?.parts ?? []));
    const thoughts = parts
      .filter((p) => p.thought)
      .map((p) => p.text)
      .join('');
    expect(thoughts).toBe(FAKE_THINKING);
    const call = parts.find((p) => p.functionCall);
    // Anthropic's signature under its issuer's name, base64 as Gemini's bytes field must be (the
    // Go, Java and Python SDKs decode it): the gateway knows it again when it comes back.
    expect(call?.thoughtSignature).toMatch(/^[A-Za-z0-9+/]+={0,2}$/);
    expect(Buffer.from(call?.thoughtSignature ?? '', 'base64').toString()).toBe(
      `anthropic:${FAKE_SIGNATURE}`,
    );

    // Gemini clients send the model turn back as they received it.
    await ai.models.generateContent({
      model: 'claude-native',
      contents: [
        { role: 'user', parts: [{ text: 'Weather?' }] },
        { role: 'model', parts },
        {
          role: 'user',
          parts: [{ functionResponse: { name: 'get_weather', response: { output: 'sunny' } } }],
        },
      ],
      config: { thinkingConfig: config.thinkingConfig },
    });
    const assistant = (lastBody().messages as { role: string; content: Body[] }[])[1];
    expect(assistant?.content[0]).toEqual({
      type: 'thinking',
      thinking: FAKE_THINKING,
      signature: FAKE_SIGNATURE,
    });
    expect(assistant?.content[1]).toMatchObject({ type: 'tool_use', name: 'get_weather' });
  });
});

describe('REST clients writing proto field names (snake_case), as Google’s curl examples do', () => {
  const rest = (path: string, body: unknown) =>
    fetch(`${gw.url}/v1beta/models/${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-goog-api-key': gw.key },
      body: JSON.stringify(body),
    });

  it('translates system_instruction, generation_config, inline_data, tools and tool results', async () => {
    const res = await rest('deepseek-chat:generateContent', {
      system_instruction: { parts: [{ text: 'You are a cat.' }] },
      contents: [
        {
          role: 'user',
          parts: [{ inline_data: { mime_type: 'image/png', data: PIXEL_PNG } }, { text: 'Weather?' }],
        },
        {
          role: 'model',
          parts: [{ function_call: { name: 'get_weather', args: { place_name: 'Paris' } } }],
        },
        {
          role: 'user',
          parts: [{ function_response: { name: 'get_weather', response: { sky_state: 'sunny' } } }],
        },
      ],
      tools: [
        {
          function_declarations: [
            {
              name: 'get_weather',
              parameters: {
                type: 'OBJECT',
                properties: { place_name: { type: 'STRING', max_length: '80' } },
                required: ['place_name'],
              },
            },
          ],
        },
      ],
      tool_config: { function_calling_config: { mode: 'ANY', allowed_function_names: ['get_weather'] } },
      generation_config: {
        max_output_tokens: 200,
        temperature: 0.25,
        top_p: 0.9,
        stop_sequences: ['END'],
        response_mime_type: 'application/json',
        response_json_schema: { type: 'object', properties: { sky_state: { type: 'string' } } },
      },
    });
    expect(res.status).toBe(200);
    expect(lastBody()).toMatchObject({
      messages: [
        { role: 'system', content: 'You are a cat.' },
        {
          role: 'user',
          content: [
            { type: 'image_url', image_url: { url: `data:image/png;base64,${PIXEL_PNG}` } },
            { type: 'text', text: 'Weather?' },
          ],
        },
        {
          role: 'assistant',
          tool_calls: [{ function: { name: 'get_weather', arguments: '{"place_name":"Paris"}' } }],
        },
        { role: 'tool', content: '{"sky_state":"sunny"}' },
      ],
      tools: [
        {
          type: 'function',
          function: {
            name: 'get_weather',
            parameters: {
              type: 'object',
              properties: { place_name: { type: 'string', maxLength: 80 } },
              required: ['place_name'],
            },
          },
        },
      ],
      tool_choice: { type: 'function', function: { name: 'get_weather' } },
      max_tokens: 200,
      temperature: 0.25,
      top_p: 0.9,
      stop: ['END'],
      response_format: {
        type: 'json_schema',
        json_schema: {
          name: 'response',
          schema: { type: 'object', properties: { sky_state: { type: 'string' } } },
        },
      },
    });
  });
});
