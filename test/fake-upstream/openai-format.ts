/** OpenAI wire-format bodies the fake upstream answers with. Deterministic by design. */

export const FAKE_CREATED = 1_710_000_000;

export function chatCompletion(model: string, content: string, promptTokens: number) {
  const completionTokens = content.split(/\s+/).filter(Boolean).length;
  return {
    id: 'chatcmpl-fake',
    object: 'chat.completion',
    created: FAKE_CREATED,
    model,
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content, refusal: null },
        logprobs: null,
        finish_reason: 'stop',
      },
    ],
    usage: {
      prompt_tokens: promptTokens,
      completion_tokens: completionTokens,
      total_tokens: promptTokens + completionTokens,
    },
  };
}

export function toolCallCompletion(model: string, name: string, args: string, promptTokens: number) {
  return {
    id: 'chatcmpl-fake',
    object: 'chat.completion',
    created: FAKE_CREATED,
    model,
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: null,
          tool_calls: [{ id: 'call_fake_1', type: 'function', function: { name, arguments: args } }],
        },
        logprobs: null,
        finish_reason: 'tool_calls',
      },
    ],
    usage: { prompt_tokens: promptTokens, completion_tokens: 12, total_tokens: promptTokens + 12 },
  };
}

/** SSE events (without the `data: ` framing) for a streamed answer. */
export function chatChunks(
  model: string,
  content: string,
  includeUsage: boolean,
  promptTokens: number,
): unknown[] {
  const base = { id: 'chatcmpl-fake', object: 'chat.completion.chunk', created: FAKE_CREATED, model };
  const pieces = content.match(/\S+\s*/g) ?? [content];
  const events: unknown[] = [
    { ...base, choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] },
  ];
  for (const piece of pieces)
    events.push({ ...base, choices: [{ index: 0, delta: { content: piece }, finish_reason: null }] });
  events.push({ ...base, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] });
  if (includeUsage) {
    events.push({
      ...base,
      choices: [],
      usage: {
        prompt_tokens: promptTokens,
        completion_tokens: pieces.length,
        total_tokens: promptTokens + pieces.length,
      },
    });
  }
  return events;
}

/** Streamed tool call whose arguments arrive in small fragments, as OpenAI sends them. */
export function toolCallChunks(model: string, name: string, args: string): unknown[] {
  const base = { id: 'chatcmpl-fake', object: 'chat.completion.chunk', created: FAKE_CREATED, model };
  const events: unknown[] = [
    {
      ...base,
      choices: [
        {
          index: 0,
          delta: {
            role: 'assistant',
            content: null,
            tool_calls: [
              { index: 0, id: 'call_fake_1', type: 'function', function: { name, arguments: '' } },
            ],
          },
          finish_reason: null,
        },
      ],
    },
  ];
  for (let i = 0; i < args.length; i += 7) {
    events.push({
      ...base,
      choices: [
        {
          index: 0,
          delta: { tool_calls: [{ index: 0, function: { arguments: args.slice(i, i + 7) } }] },
          finish_reason: null,
        },
      ],
    });
  }
  events.push({ ...base, choices: [{ index: 0, delta: {}, finish_reason: 'tool_calls' }] });
  return events;
}

/** The vector the fake returns for `text` at `index` (as float64; base64 answers carry it as float32). */
export function fakeEmbedding(text: string, index: number): number[] {
  return [text.length / 100, 0.25, -0.5, index];
}

/** `base64` answers as OpenAI does for `encoding_format: "base64"`: little-endian float32. */
export function embeddingList(model: string, inputs: string[], base64 = false) {
  return {
    object: 'list',
    model,
    data: inputs.map((text, index) => {
      const vector = fakeEmbedding(text, index);
      return {
        object: 'embedding',
        index,
        embedding: base64 ? Buffer.from(new Float32Array(vector).buffer).toString('base64') : vector,
      };
    }),
    usage: { prompt_tokens: inputs.length * 3, total_tokens: inputs.length * 3 },
  };
}

export function textCompletion(model: string, text: string) {
  return {
    id: 'cmpl-fake',
    object: 'text_completion',
    created: FAKE_CREATED,
    model,
    choices: [{ index: 0, text, logprobs: null, finish_reason: 'stop' }],
    usage: { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 },
  };
}

export const FAKE_TOOL_ARGUMENTS =
  '{"location":"Paris, France","unit":"celsius","days":[1,2,3],"note":"naïve \\"quoted\\" ✓"}';
