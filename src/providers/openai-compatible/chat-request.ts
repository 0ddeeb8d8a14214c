import { GatewayError } from '../../errors/gateway-error.js';
import type {
  AssistantPart,
  ChatMessage,
  ChatRequest,
  ReasoningOptions,
  ResponseFormat,
  TextPart,
  ToolChoice,
  ToolResultPart,
  UserPart,
} from '../../spec/chat.js';
import type { JsonObject, JsonValue } from '../../spec/json.js';
import type { EncodeContext } from '../../spec/wire.js';
import { refusesReasoningEffort, takesReasoningEffort } from '../model-limits.js';
import { imageFromUrl, imageToUrl } from '../shared/image-source.js';
import { arr, compact, num, obj, objects, str } from '../shared/json-read.js';
import { asEffort, budgetEffort } from '../shared/reasoning-budget.js';

/** An OpenAI chat completions body → canonical request. */
export function decodeOpenAiRequest(body: JsonObject): ChatRequest {
  const system: TextPart[] = [];
  const messages: ChatMessage[] = [];
  for (const [i, message] of objects(body.messages).entries()) {
    const role = str(message.role);
    const at = `messages[${i}].content`;
    if (role === 'system' || role === 'developer') {
      // Leading instructions are the system prompt; later ones keep their place in the conversation.
      if (messages.length === 0) system.push(...textParts(message.content));
      else messages.push({ role: 'system', parts: textParts(message.content) });
    } else if (role === 'user') messages.push({ role: 'user', parts: userParts(message.content, at) });
    else if (role === 'assistant') messages.push({ role: 'assistant', parts: assistantParts(message) });
    else if (role === 'tool') {
      const result: ToolResultPart = {
        type: 'tool-result',
        toolCallId: str(message.tool_call_id) ?? '',
        content: userParts(message.content, at),
      };
      const last = messages.at(-1);
      // Consecutive tool messages answer one assistant turn: keep them together.
      if (last?.role === 'tool')
        messages[messages.length - 1] = { role: 'tool', parts: [...last.parts, result] };
      else messages.push({ role: 'tool', parts: [result] });
    } else
      throw new GatewayError('invalid_request', `unsupported message role "${role}"`, { param: 'messages' });
  }
  const stop =
    typeof body.stop === 'string' ? [body.stop] : arr(body.stop).filter((s) => typeof s === 'string');
  const thinking = obj(body.thinking);
  const budget = num(thinking?.budget_tokens);
  const effort = str(body.reasoning_effort);
  const reasoning: ReasoningOptions | undefined =
    effort === 'none' && budget === undefined
      ? { mode: 'disabled' }
      : budget !== undefined || asEffort(effort) !== undefined
        ? {
            ...(budget !== undefined ? { budgetTokens: budget } : {}),
            ...(asEffort(effort) ? { effort: asEffort(effort) } : {}),
          }
        : undefined;
  const request: ChatRequest = {
    model: str(body.model) ?? '',
    system,
    messages,
    tools: objects(body.tools).flatMap((tool) => {
      const fn = obj(tool.function);
      if (!fn) return [];
      const description = str(fn.description);
      return [
        {
          name: str(fn.name) ?? '',
          parameters: obj(fn.parameters) ?? { type: 'object' },
          ...(description ? { description } : {}),
          ...(typeof fn.strict === 'boolean' ? { strict: fn.strict } : {}),
        },
      ];
    }),
    stop,
    stream: body.stream === true,
    includeUsage: obj(body.stream_options)?.include_usage === true,
  };
  return compactRequest(request, {
    toolChoice: decodeToolChoice(body.tool_choice),
    parallelToolCalls: typeof body.parallel_tool_calls === 'boolean' ? body.parallel_tool_calls : undefined,
    maxTokens: num(body.max_completion_tokens) ?? num(body.max_tokens),
    temperature: num(body.temperature),
    topP: num(body.top_p),
    topK: num(body.top_k),
    reasoning,
    user: str(body.user),
    responseFormat: decodeResponseFormat(obj(body.response_format)),
    choices: typeof body.n === 'number' && body.n !== 1 ? body.n : undefined,
  });
}

/** OpenAI `response_format`: `json_object`, or `json_schema` with its schema; `text` is the default. */
function decodeResponseFormat(format: JsonObject | undefined): ResponseFormat | undefined {
  if (format?.type === 'json_object') return { type: 'json_object' };
  const spec = obj(format?.json_schema);
  if (format?.type !== 'json_schema' || !spec) return undefined;
  const description = str(spec.description);
  return {
    type: 'json_schema',
    name: str(spec.name) ?? 'response',
    schema: obj(spec.schema) ?? { type: 'object' },
    ...(typeof spec.strict === 'boolean' ? { strict: spec.strict } : {}),
    ...(description ? { description } : {}),
  };
}

function compactRequest(base: ChatRequest, optional: Partial<ChatRequest>): ChatRequest {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(optional)) if (value !== undefined) out[key] = value;
  return out as unknown as ChatRequest;
}

function textParts(content: JsonValue | undefined): TextPart[] {
  if (typeof content === 'string') return [{ type: 'text', text: content }];
  return objects(content)
    .filter((p) => p.type === 'text')
    .map((p) => ({ type: 'text', text: str(p.text) ?? '' }));
}

function userParts(content: JsonValue | undefined, param: string): UserPart[] {
  if (typeof content === 'string') return [{ type: 'text', text: content }];
  return objects(content).flatMap((part, j): UserPart[] => {
    if (part.type === 'text') return [{ type: 'text', text: str(part.text) ?? '' }];
    if (part.type === 'image_url') {
      const url = str(obj(part.image_url)?.url) ?? str(part.image_url);
      return url ? [{ type: 'image', source: imageFromUrl(url) }] : [];
    }
    // Only known part types can be re-encoded; the client's request to fix, not an upstream fault.
    throw new GatewayError(
      'untranslatable_request',
      `${param}[${j}]: content part type "${String(part.type)}" cannot be translated for this model's upstream`,
      { param: `${param}[${j}]` },
    );
  });
}

function assistantParts(message: JsonObject): AssistantPart[] {
  const parts: AssistantPart[] = [];
  const reasoning = str(message.reasoning_content) ?? str(message.reasoning);
  const signature = str(message.reasoning_signature);
  if (reasoning || signature)
    parts.push({ type: 'reasoning', text: reasoning ?? '', ...(signature ? { signature } : {}) });
  parts.push(...textParts(message.content));
  for (const call of objects(message.tool_calls)) {
    const fn = obj(call.function);
    parts.push({
      type: 'tool-call',
      id: str(call.id) ?? '',
      name: str(fn?.name) ?? '',
      arguments: str(fn?.arguments) ?? '',
    });
  }
  return parts;
}

function decodeToolChoice(value: JsonValue | undefined): ToolChoice | undefined {
  if (value === 'auto' || value === 'none' || value === 'required') return value;
  const name = str(obj(obj(value)?.function)?.name);
  return name ? { name } : undefined;
}

/** Canonical request → an OpenAI chat completions body for an OpenAI-compatible upstream. */
export function encodeOpenAiRequest(request: ChatRequest, context: EncodeContext): JsonObject {
  const messages: JsonValue[] = [];
  if (request.system.length > 0)
    messages.push({ role: 'system', content: request.system.map((p) => p.text).join('\n\n') });
  for (const message of request.messages) messages.push(...encodeMessage(message));
  const choice = request.toolChoice;
  return compact({
    model: context.model,
    messages,
    tools:
      request.tools.length > 0
        ? request.tools.map((t) => ({
            type: 'function',
            function: compact({
              name: t.name,
              description: t.description,
              parameters: t.parameters,
              strict: t.strict,
            }),
          }))
        : undefined,
    tool_choice:
      choice === undefined
        ? undefined
        : typeof choice === 'string'
          ? choice
          : { type: 'function', function: { name: choice.name } },
    parallel_tool_calls: request.tools.length > 0 ? request.parallelToolCalls : undefined,
    ...(context.maxCompletionTokens
      ? { max_completion_tokens: request.maxTokens }
      : { max_tokens: request.maxTokens }),
    temperature: request.temperature,
    top_p: request.topP,
    stop: request.stop.length > 0 ? [...request.stop] : undefined,
    ...reasoningFields(request.reasoning, context),
    user: request.user,
    response_format: encodeResponseFormat(request.responseFormat),
    n: request.choices,
    stream: context.stream ? true : undefined,
    // Always ask for usage: the gateway accounts for it even when the client did not ask.
    stream_options: context.stream ? { include_usage: true } : undefined,
  });
}

function encodeResponseFormat(format: ResponseFormat | undefined): JsonObject | undefined {
  if (!format) return undefined;
  if (format.type === 'json_object') return { type: 'json_object' };
  return {
    type: 'json_schema',
    json_schema: compact({
      name: format.name,
      schema: format.schema,
      strict: format.strict,
      description: format.description,
    }),
  };
}

/**
 * Reasoning as this upstream takes it: a thinking switch, or `reasoning_effort` — never to a
 * model known to refuse it (OpenAI answers 400), and for adaptive requests only where the model is
 * known to accept it. An explicit budget still reaches unknown models (vLLM, OpenRouter names).
 */
function reasoningFields(reasoning: ReasoningOptions | undefined, context: EncodeContext): JsonObject {
  if (!reasoning) return {};
  if (context.thinkingSwitch)
    return { thinking: { type: reasoning.mode === 'disabled' ? 'disabled' : 'enabled' } };
  if (reasoning.mode === 'disabled' || refusesReasoningEffort(context.model)) return {};
  if (reasoning.mode === 'adaptive' && !takesReasoningEffort(context.model)) return {};
  const effort =
    reasoning.effort ?? (reasoning.budgetTokens ? budgetEffort(reasoning.budgetTokens) : undefined);
  return effort ? { reasoning_effort: effort } : {};
}

function encodeMessage(message: ChatMessage): JsonValue[] {
  if (message.role === 'system')
    return [{ role: 'system', content: message.parts.map((p) => p.text).join('\n\n') }];
  if (message.role === 'tool') {
    return message.parts.map((r) => ({
      role: 'tool',
      tool_call_id: r.toolCallId,
      content: r.isError ? markedAsError(contentText(r.content)) : contentText(r.content),
    }));
  }
  if (message.role === 'user') {
    const onlyText = message.parts.every((p) => p.type === 'text');
    return [
      {
        role: 'user',
        content: onlyText
          ? contentText(message.parts)
          : message.parts.map(
              (p): JsonObject =>
                p.type === 'text'
                  ? { type: 'text', text: p.text }
                  : { type: 'image_url', image_url: { url: imageToUrl(p.source) } },
            ),
      },
    ];
  }
  const text = message.parts.flatMap((p) => (p.type === 'text' ? [p.text] : [])).join('');
  const calls = message.parts.flatMap((p) =>
    p.type === 'tool-call'
      ? [{ id: p.id, type: 'function', function: { name: p.name, arguments: p.arguments } }]
      : [],
  );
  const reasoning = message.parts.flatMap((p) => (p.type === 'reasoning' ? [p.text] : [])).join('');
  return [
    compact({
      role: 'assistant',
      content: text || (calls.length > 0 ? null : ''),
      tool_calls: calls.length > 0 ? calls : undefined,
      // Reasoning models (DeepSeek, Kimi) want their reasoning back inside a tool-use turn only.
      reasoning_content: calls.length > 0 && reasoning ? reasoning : undefined,
    }),
  ];
}

/**
 * A failed tool's output, marked so the model reads it as one: the OpenAI format has no field for
 * it (Anthropic's `is_error`, Gemini's `error` response), so the flag travels in the text, on a
 * line of its own before the output. Results that are not errors are sent as they are.
 */
const TOOL_ERROR_MARK = '[tool error]';

function markedAsError(text: string): string {
  return text === '' ? TOOL_ERROR_MARK : `${TOOL_ERROR_MARK}\n${text}`;
}

/**
 * Text parts as one string (several OpenAI-compatible upstreams take only a string). Separate
 * blocks (Claude Code's reminders before the prompt, an MCP tool's result lines) stay apart.
 */
function contentText(parts: readonly UserPart[]): string {
  return parts.flatMap((p) => (p.type === 'text' && p.text !== '' ? [p.text] : [])).join('\n');
}
