import fc from 'fast-check';
import type { Pools } from './body-arbitraries.js';
import { count, name, object, positive, ratio, secret, text } from './fuzz-values.js';
import type { BodyKind } from './route-catalogue.js';

/** Request bodies built from each route's schema (src/admin/schemas.ts, the wire formats). */

function openAiMessage() {
  const part = fc.oneof(
    object({ type: fc.constant('text'), text }),
    object({
      type: fc.constant('image_url'),
      image_url: object({
        url: fc.constantFrom('data:image/png;base64,AAAA', 'http://127.0.0.1:1/x.png', 'data:,'),
      }),
    }),
  );
  return object(
    {
      role: fc.constantFrom('user', 'system', 'assistant', 'tool', 'developer', 'function', 'nobody'),
      content: fc.oneof(text, fc.array(part, { maxLength: 3 }), fc.constant(null)),
      name: text,
      tool_call_id: text,
      tool_calls: fc.array(
        object({
          id: text,
          type: fc.constant('function'),
          function: object({ name: text, arguments: fc.oneof(text, fc.constant('{"a":1}')) }),
        }),
        { maxLength: 2 },
      ),
    },
    ['role'],
  );
}

function anthropicMessage() {
  const block = fc.oneof(
    object({ type: fc.constant('text'), text }),
    object({
      type: fc.constant('image'),
      source: object({ type: fc.constantFrom('base64', 'url'), media_type: text, data: text, url: text }),
    }),
    object({ type: fc.constant('tool_use'), id: text, name: text, input: fc.jsonValue({ maxDepth: 2 }) }),
    object({ type: fc.constant('tool_result'), tool_use_id: text, content: fc.oneof(text, fc.array(text)) }),
    object({ type: fc.constantFrom('thinking', 'redacted_thinking'), thinking: text, signature: text }),
  );
  return object(
    {
      role: fc.constantFrom('user', 'assistant', 'system'),
      content: fc.oneof(text, fc.array(block, { maxLength: 3 })),
    },
    ['role'],
  );
}

export function schemaBody(kind: BodyKind, pools: Pools): fc.Arbitrary<unknown> {
  const model = fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...pools.models) },
    { weight: 1, arbitrary: text },
  );
  const credential = fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...pools.credentials) },
    { weight: 1, arbitrary: text },
  );
  const id = fc.oneof(fc.constantFrom(...pools.ids), text);
  const tools = fc.array(
    object({
      type: fc.constant('function'),
      function: object({ name: text, parameters: fc.jsonValue({ maxDepth: 3 }) }),
    }),
    { maxLength: 2 },
  );
  switch (kind) {
    case 'chat':
    case 'passthrough':
      return object(
        {
          model,
          messages: fc.array(openAiMessage(), { maxLength: 4 }),
          stream: fc.boolean(),
          stream_options: object({ include_usage: fc.boolean() }),
          max_tokens: count,
          max_completion_tokens: count,
          temperature: ratio,
          n: count,
          tools,
          tool_choice: fc.oneof(
            fc.constantFrom('auto', 'none', 'required'),
            object({ type: fc.constant('function') }),
          ),
          reasoning_effort: fc.constantFrom('low', 'medium', 'high', 'max'),
          response_format: object({ type: fc.constantFrom('json_object', 'text', 'json_schema') }),
        },
        ['model', 'messages'],
      );
    case 'completions':
      return object(
        { model, prompt: fc.oneof(text, fc.array(text)), stream: fc.boolean(), max_tokens: count },
        ['model'],
      );
    case 'embeddings':
      return object(
        {
          model,
          input: fc.oneof(text, fc.array(text), fc.array(fc.integer())),
          encoding_format: fc.constantFrom('float', 'base64'),
        },
        ['model'],
      );
    case 'messages':
    case 'count-tokens':
      return object(
        {
          model,
          max_tokens: count,
          messages: fc.array(anthropicMessage(), { maxLength: 4 }),
          system: fc.oneof(text, fc.array(object({ type: fc.constant('text'), text }))),
          stream: fc.boolean(),
          tools: fc.array(
            object({ name: text, description: text, input_schema: fc.jsonValue({ maxDepth: 3 }) }),
            { maxLength: 2 },
          ),
          tool_choice: object({ type: fc.constantFrom('auto', 'any', 'tool', 'none'), name: text }),
          thinking: object({ type: fc.constantFrom('enabled', 'disabled'), budget_tokens: count }),
          stop_sequences: fc.array(text, { maxLength: 3 }),
          temperature: ratio,
          metadata: object({ user_id: text }),
        },
        ['model', 'messages'],
      );
    case 'simple-chat':
      return object({ token: credential, prompt: text, model }, ['token', 'prompt']);
    case 'session':
      return object({ secret: credential }, ['secret']);
    case 'user':
      return object(
        {
          name,
          email: fc.constantFrom('fuzz@example.com', 'ops@example.org'),
          notes: text,
          enabled: fc.boolean(),
        },
        ['name'],
      );
    case 'key':
      return object(
        {
          name,
          user_id: id,
          prefix: fc.constantFrom('sk', 'fuzz'),
          purpose: fc.constantFrom('default', 'cursor'),
          models: fc.array(model, { maxLength: 3 }),
          expires_at: fc.oneof(
            fc.constant(null),
            fc
              .date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true })
              .map((d) => d.toISOString()),
          ),
          ip_allowlist: fc.array(fc.constantFrom('127.0.0.1/32', '::1', '10.0.0.0/8', '::/0'), {
            maxLength: 3,
          }),
          enabled: fc.boolean(),
          limits: object({
            rpm: positive,
            rph: positive,
            tpm: positive,
            concurrent: positive,
            budget: positive,
          }),
          channel_id: fc.oneof(id, fc.constant(null)),
          // byok keys name providers whose default base URL is on the internet: their secrets never
          // reach the fuzz, so no request is ever sent with them.
          byok: fc.oneof(
            fc.constant(null),
            object({ provider: fc.constantFrom('openai', 'nope'), key: text }),
          ),
        },
        ['name'],
      );
    case 'channel':
      // base_url is always a loopback or invalid URL (never absent or null): a channel left on a
      // provider's default base URL would send fuzzed traffic to the internet.
      return fc
        .tuple(
          object(
            {
              name,
              provider: fc.constantFrom('openai-compatible', 'anthropic', 'gemini', 'azure', 'mock', 'nope'),
              keys: fc.array(secret, { maxLength: 2 }),
              key: secret,
              models: fc.array(model, { maxLength: 2 }),
              model_map: fc.dictionary(text, text, { maxKeys: 2 }),
              priority: count,
              weight: fc.double({ min: 0.1, max: 3, noNaN: true }),
              headers: fc.dictionary(text, text, { maxKeys: 2 }),
              api_version: fc.constantFrom('2024-02-01', 'v1'),
              timeout: object({
                connect_ms: positive,
                first_byte_ms: positive,
                idle_ms: positive,
                total_ms: positive,
              }),
              affinity: fc.boolean(),
              enabled: fc.boolean(),
            },
            ['name', 'provider'],
          ),
          fc.constantFrom(...pools.baseUrls),
        )
        .map(([body, baseUrl]) => ({ ...body, base_url: baseUrl }));
    case 'channel-test':
      return object({ model, key_index: count });
    case 'none':
      return fc.constant({});
  }
}
