import { GatewayError } from '../../errors/gateway-error.js';
import type {
  AssistantPart,
  CacheControl,
  ChatMessage,
  ChatRequest,
  ImagePart,
  ResponseFormat,
  TextPart,
  ToolChoice,
  ToolDefinition,
  ToolResultPart,
  UserPart,
} from '../../spec/chat.js';
import type { JsonObject, JsonValue } from '../../spec/json.js';
import type { EncodeContext } from '../../spec/wire.js';
import { takesStructuredOutputs } from '../model-limits.js';
import { withoutEmptyText } from '../shared/empty-text.js';
import { arr, compact, num, obj, objects, parseArguments, str } from '../shared/json-read.js';
import { signatureFor } from '../shared/reasoning-signature.js';
import { foldSystemMessages } from '../shared/system-messages.js';
import { assistantBlockToPart } from './assistant-blocks.js';
import { thinkingAllowed } from './foreign-thinking.js';
import { type AnthropicGeneration, anthropicGeneration } from './generation.js';
import { anthropicOutputSchema } from './output-schema.js';
import { decodeAnthropicThinking } from './thinking.js';
import { fromAnthropicToolId, toAnthropicToolId } from './tool-ids.js';

const cache = (block: JsonObject): { cacheControl?: CacheControl } => {
  const value = obj(block.cache_control);
  return value ? { cacheControl: value } : {};
};

/** An Anthropic Messages body → canonical request. */
export function decodeAnthropicRequest(body: JsonObject): ChatRequest {
  const system: TextPart[] =
    typeof body.system === 'string'
      ? [{ type: 'text', text: body.system }]
      : objects(body.system).map((b) => ({ type: 'text', text: str(b.text) ?? '', ...cache(b) }));
  const messages: ChatMessage[] = [];
  for (const [i, message] of objects(body.messages).entries()) {
    const blocks =
      typeof message.content === 'string'
        ? [{ type: 'text', text: message.content }]
        : objects(message.content);
    const at = (j: number) => `messages[${i}].content[${j}]`;
    if (message.role === 'assistant') {
      messages.push({ role: 'assistant', parts: blocks.flatMap((b, j) => assistantPart(b, at(j))) });
      continue;
    }
    if (message.role === 'system') {
      // Not in Anthropic's documented API, but Claude Code sends it mid-conversation.
      const parts = blocks.map((b, j): TextPart => {
        if (b.type !== 'text') throw unsupported(b, at(j));
        return { type: 'text', text: str(b.text) ?? '', ...cache(b) };
      });
      if (messages.length === 0) system.push(...parts);
      else messages.push({ role: 'system', parts });
      continue;
    }
    // Tool results come first in a user turn; they become a tool message before the rest.
    const results: ToolResultPart[] = [];
    const rest: UserPart[] = [];
    for (const [j, block] of blocks.entries()) {
      if (block.type === 'tool_result') results.push(toolResult(block, at(j)));
      else rest.push(userPart(block, at(j)));
    }
    if (results.length > 0) messages.push({ role: 'tool', parts: results });
    if (rest.length > 0) messages.push({ role: 'user', parts: rest });
  }
  const toolChoice = obj(body.tool_choice);
  const request: Record<string, unknown> = {
    model: str(body.model) ?? '',
    system,
    messages,
    // Server tools (web search and the like) run at Anthropic and cannot be translated.
    tools: objects(body.tools)
      .filter((t) => t.type === undefined || t.type === 'custom')
      .map((t) => compactTool(t)),
    stop: arr(body.stop_sequences).filter((s): s is string => typeof s === 'string'),
    stream: body.stream === true,
    includeUsage: true,
  };
  const optional: Record<string, unknown> = {
    toolChoice: decodeToolChoice(toolChoice),
    parallelToolCalls: toolChoice?.disable_parallel_tool_use === true ? false : undefined,
    maxTokens: num(body.max_tokens),
    temperature: num(body.temperature),
    topP: num(body.top_p),
    topK: num(body.top_k),
    reasoning: decodeAnthropicThinking(body),
    user: str(obj(body.metadata)?.user_id),
    responseFormat: decodeOutputFormat(body),
  };
  for (const [key, value] of Object.entries(optional)) if (value !== undefined) request[key] = value;
  return request as unknown as ChatRequest;
}

/**
 * Structured outputs: `output_config.format`, or `output_format` from the beta that preceded it.
 * Anthropic names no schema; OpenAI requires a name, so it gets a neutral one.
 */
function decodeOutputFormat(body: JsonObject): ResponseFormat | undefined {
  const format = obj(obj(body.output_config)?.format) ?? obj(body.output_format);
  const schema = obj(format?.schema);
  if (format?.type !== 'json_schema' || !schema) return undefined;
  return { type: 'json_schema', name: 'response', schema };
}

function compactTool(tool: JsonObject) {
  const description = str(tool.description);
  return {
    name: str(tool.name) ?? '',
    parameters: obj(tool.input_schema) ?? { type: 'object' },
    ...(description ? { description } : {}),
    ...cache(tool),
  };
}

function decodeToolChoice(choice: JsonObject | undefined): ToolChoice | undefined {
  switch (choice?.type) {
    case 'auto':
      return 'auto';
    case 'any':
      return 'required';
    case 'none':
      return 'none';
    case 'tool':
      return { name: str(choice.name) ?? '' };
    default:
      return undefined;
  }
}

function imagePart(block: JsonObject): ImagePart {
  const source = obj(block.source) ?? {};
  if (source.type === 'url')
    return { type: 'image', source: { kind: 'url', url: str(source.url) ?? '' }, ...cache(block) };
  return {
    type: 'image',
    source: {
      kind: 'base64',
      mediaType: str(source.media_type) ?? 'image/png',
      data: str(source.data) ?? '',
    },
    ...cache(block),
  };
}

function userPart(block: JsonObject, param: string): UserPart {
  if (block.type === 'text') return { type: 'text', text: str(block.text) ?? '', ...cache(block) };
  if (block.type === 'image') return imagePart(block);
  throw unsupported(block, param);
}

function toolResult(block: JsonObject, param: string): ToolResultPart {
  const content: UserPart[] =
    typeof block.content === 'string'
      ? [{ type: 'text', text: block.content }]
      : objects(block.content).map((b, k) => userPart(b, `${param}.content[${k}]`));
  return {
    type: 'tool-result',
    toolCallId: fromAnthropicToolId(str(block.tool_use_id) ?? ''),
    content,
    ...(block.is_error === true ? { isError: true } : {}),
    ...cache(block),
  };
}

function assistantPart(block: JsonObject, param: string): AssistantPart[] {
  const part = assistantBlockToPart(block);
  if (!part) throw unsupported(block, param);
  // Cache breakpoints are kept on text and tool calls (the parts that can carry one).
  return [part.type === 'reasoning' ? part : { ...part, ...cache(block) }];
}

/** A block only Anthropic understands: the client's request to change, not an upstream fault. */
function unsupported(block: JsonObject, param: string): GatewayError {
  const source = str(obj(block.source)?.type);
  return new GatewayError(
    'untranslatable_request',
    `${param}: content block type "${String(block.type)}"${source ? ` with a "${source}" source` : ''} ` +
      "cannot be translated for this model's upstream; send it to a model served by an Anthropic channel, or leave it out",
    { param },
  );
}

/** Canonical request → Anthropic Messages body. */
export function encodeAnthropicRequest(request: ChatRequest, context: EncodeContext): JsonObject {
  const messages: JsonObject[] = [];
  // Anthropic takes no system messages inside the conversation: they join the system prompt.
  const folded = foldSystemMessages(request);
  for (const message of folded.messages) {
    const role = message.role === 'assistant' ? 'assistant' : 'user';
    const blocks = encodeBlocks(message);
    if (blocks.length === 0) continue;
    const last = messages.at(-1);
    // Tool results and the user text after them must share one user turn.
    if (last && last.role === role) last.content = [...arr(last.content), ...blocks];
    else messages.push({ role, content: blocks });
  }
  const choice = request.toolChoice;
  const disableParallel: JsonObject =
    request.parallelToolCalls === false ? { disable_parallel_tool_use: true } : {};
  const structured = takesStructuredOutputs(context.model);
  return compact({
    model: context.model,
    // Anthropic refuses an empty text block ("text content blocks must be non-empty").
    system: nonEmpty(
      folded.system
        .filter((p) => p.text !== '')
        .map((p) => compact({ type: 'text', text: p.text, cache_control: p.cacheControl })),
    ),
    messages,
    tools: request.tools.length > 0 ? request.tools.map((t) => encodeTool(t, structured)) : undefined,
    tool_choice: encodeToolChoice(choice, disableParallel, request.tools.length > 0),
    stop_sequences: request.stop.length > 0 ? [...request.stop] : undefined,
    // A tool loop's last turn that another provider thought has no thinking Anthropic would take.
    ...withOutputFormat(
      anthropicGeneration(request, context, thinkingAllowed(messages)),
      structured ? request.responseFormat : undefined,
    ),
    metadata: request.user ? { user_id: request.user } : undefined,
    stream: context.stream ? true : undefined,
  });
}

/**
 * A function tool. One the client asked to be strict (OpenAI `strict: true`) is strict on a Claude
 * model that takes structured outputs (docs.claude.com, "Strict tool use"), its schema in the
 * dialect Anthropic's strict mode takes, as for `output_config.format`. Elsewhere the schema goes
 * as written: without strict, Anthropic takes any JSON Schema.
 */
function encodeTool(tool: ToolDefinition, structured: boolean): JsonObject {
  const strict = structured && tool.strict === true;
  return compact({
    name: tool.name,
    description: tool.description,
    input_schema: strict ? anthropicOutputSchema(tool.parameters) : tool.parameters,
    strict: strict ? true : undefined,
    cache_control: tool.cacheControl,
  });
}

/**
 * Structured outputs: a JSON schema goes in `output_config.format` (in Anthropic's dialect),
 * beside any thinking effort. OpenAI's schema-less `json_object` has no Anthropic counterpart and
 * is left to the prompt.
 */
function withOutputFormat(
  fields: AnthropicGeneration,
  format: ResponseFormat | undefined,
): AnthropicGeneration {
  if (format?.type !== 'json_schema') return fields;
  return {
    ...fields,
    output_config: {
      ...fields.output_config,
      format: { type: 'json_schema', schema: anthropicOutputSchema(format.schema) },
    },
  };
}

function encodeToolChoice(
  choice: ToolChoice | undefined,
  disableParallel: JsonObject,
  hasTools: boolean,
): JsonObject | undefined {
  if (choice === undefined)
    return hasTools && Object.keys(disableParallel).length > 0
      ? { type: 'auto', ...disableParallel }
      : undefined;
  if (choice === 'none') return { type: 'none' };
  if (choice === 'auto') return { type: 'auto', ...disableParallel };
  if (choice === 'required') return { type: 'any', ...disableParallel };
  return { type: 'tool', name: choice.name, ...disableParallel };
}

function encodeBlocks(message: Exclude<ChatMessage, { role: 'system' }>): JsonValue[] {
  if (message.role === 'tool') {
    return message.parts.map((r) =>
      compact({
        type: 'tool_result',
        tool_use_id: toAnthropicToolId(r.toolCallId),
        // A tool that printed nothing: no content at all rather than an empty text block.
        content: nonEmpty(withoutEmptyText(r.content).map(encodeUserPart)),
        is_error: r.isError ? true : undefined,
        cache_control: r.cacheControl,
      }),
    );
  }
  if (message.role === 'user') {
    // Empty text beside other content is dropped; a message of nothing but is left to Anthropic.
    const parts = withoutEmptyText(message.parts);
    return (parts.length > 0 ? parts : message.parts).map(encodeUserPart);
  }
  return message.parts.flatMap((p): JsonValue[] => {
    if (p.type === 'text')
      return p.text ? [compact({ type: 'text', text: p.text, cache_control: p.cacheControl })] : [];
    if (p.type === 'tool-call')
      return [
        compact({
          type: 'tool_use',
          id: toAnthropicToolId(p.id),
          name: p.name,
          input: parseArguments(p.arguments),
          cache_control: p.cacheControl,
        }),
      ];
    if (p.redactedData) return [{ type: 'redacted_thinking', data: p.redactedData }];
    // Unsigned reasoning, or reasoning another provider signed, cannot be verified by Anthropic:
    // drop it.
    const signature = p.signature ? signatureFor('anthropic', p.signature) : undefined;
    return signature ? [{ type: 'thinking', thinking: p.text, signature }] : [];
  });
}

function nonEmpty<T>(list: T[]): T[] | undefined {
  return list.length > 0 ? list : undefined;
}

function encodeUserPart(part: UserPart): JsonObject {
  if (part.type === 'text')
    return compact({ type: 'text', text: part.text, cache_control: part.cacheControl });
  const source: JsonObject =
    part.source.kind === 'url'
      ? { type: 'url', url: part.source.url }
      : { type: 'base64', media_type: part.source.mediaType, data: part.source.data };
  return compact({ type: 'image', source, cache_control: part.cacheControl });
}
