import { GatewayError } from '../../errors/gateway-error.js';
import type {
  AssistantPart,
  ChatMessage,
  ChatRequest,
  ReasoningOptions,
  ResponseFormat,
  TextPart,
  ToolChoice,
  ToolDefinition,
  ToolResultPart,
  UserPart,
} from '../../spec/chat.js';
import { isJsonObject, type JsonObject, type JsonValue } from '../../spec/json.js';
import { arr, num, obj, objects, str } from '../shared/json-read.js';
import { geminiSchemaToJsonSchema } from './gemini-schema.js';
import { decodeGeminiParts } from './generate-response.js';
import { withJsonNames } from './json-names.js';

/**
 * A Gemini generateContent body → canonical request. Gemini puts the model and the streaming
 * choice in the URL; the front door adds them to the body as `model` and `stream`.
 */
export function decodeGeminiClientRequest(sent: JsonObject): ChatRequest {
  const body = withJsonNames(sent);
  const config = obj(body.generationConfig) ?? {};
  const candidates = num(config.candidateCount);
  if (candidates !== undefined && candidates !== 1)
    throw invalid('generationConfig.candidateCount', 'only 1 candidate is supported');
  const stop = arr(config.stopSequences).filter((s): s is string => typeof s === 'string');
  const { tools, toolChoice } = decodeTools(body);
  const request: Record<string, unknown> = {
    model: str(body.model) ?? '',
    system: systemParts(body.systemInstruction),
    messages: decodeContents(body.contents),
    tools,
    stop,
    stream: body.stream === true,
    includeUsage: false,
  };
  const optional = {
    toolChoice,
    maxTokens: numberAt(config, 'maxOutputTokens'),
    temperature: numberAt(config, 'temperature'),
    topP: numberAt(config, 'topP'),
    topK: numberAt(config, 'topK'),
    reasoning: decodeThinking(obj(config.thinkingConfig)),
    responseFormat: decodeResponseFormat(config),
  };
  for (const [key, value] of Object.entries(optional)) if (value !== undefined) request[key] = value;
  return request as unknown as ChatRequest;
}

/**
 * A body decoded only to count its tokens (`:countTokens`), whatever channel serves the model:
 * what has no translation for other upstreams is counted, not refused. Documents, audio and
 * video weigh what an image does (an estimate), other parts their JSON text; built-in tools,
 * tool config and generation settings count nothing.
 */
export function decodeGeminiCountRequest(sent: JsonObject): ChatRequest {
  const body = withJsonNames(sent);
  const contents = objects(body.contents).map((content) => ({
    ...content,
    parts: objects(content.parts).map(countablePart),
  }));
  const tools = objects(body.tools)
    .filter((tool) => tool.functionDeclarations !== undefined)
    .map((tool) => ({ functionDeclarations: tool.functionDeclarations ?? [] }));
  const system = body.systemInstruction;
  return decodeGeminiClientRequest({
    model: str(body.model) ?? '',
    contents,
    tools,
    ...(system !== undefined ? { systemInstruction: system } : {}),
  });
}

/** Any image stands for media counting: only the part's kind is weighed. */
const COUNTED_AS_IMAGE: JsonObject = { inlineData: { mimeType: 'image/*', data: '' } };

function countablePart(part: JsonObject): JsonObject {
  if (part.inlineData !== undefined || part.fileData !== undefined) return COUNTED_AS_IMAGE;
  if (part.text !== undefined || part.functionCall !== undefined || part.functionResponse !== undefined)
    return part;
  return { text: JSON.stringify(part) };
}

function invalid(param: string, problem: string): GatewayError {
  return new GatewayError('invalid_request', `${param}: ${problem}`, { param });
}

function untranslatable(param: string, what: string): GatewayError {
  return new GatewayError(
    'untranslatable_request',
    `${param}: ${what} cannot be translated for this model's upstream`,
    { param },
  );
}

function numberAt(config: JsonObject, key: string): number | undefined {
  const value = config[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value))
    throw invalid(`generationConfig.${key}`, 'must be a number');
  return value;
}

function systemParts(value: JsonValue | undefined): TextPart[] {
  if (typeof value === 'string') return [{ type: 'text', text: value }];
  return objects(obj(value)?.parts)
    .map((p) => str(p.text))
    .filter((t): t is string => t !== undefined)
    .map((text) => ({ type: 'text', text }));
}

function decodeContents(value: JsonValue | undefined): ChatMessage[] {
  const messages: ChatMessage[] = [];
  const unanswered = unansweredCalls();
  let calls = 0;
  for (const [i, content] of objects(value).entries()) {
    if (!Array.isArray(content.parts)) throw invalid(`contents[${i}].parts`, 'must be an array');
    const parts = objects(content.parts);
    if (content.role === 'model') {
      const decoded = foldThoughts(decodeGeminiParts(parts, (n) => `call_${n}`, calls));
      for (const part of decoded) {
        if (part.type !== 'tool-call') continue;
        calls++;
        unanswered.add(part.id, part.name);
      }
      if (decoded.length > 0) messages.push({ role: 'assistant', parts: decoded });
      continue;
    }
    // A turn's function results answer the model's calls before it: they come first, as one tool
    // message, whatever their place among the turn's parts (Gemini takes text before them; OpenAI
    // wants the tool messages right after the calls, Anthropic the tool_result blocks first).
    const user: UserPart[] = [];
    const results: ToolResultPart[] = [];
    for (const [j, part] of parts.entries()) {
      const response = obj(part.functionResponse);
      if (response) results.push(toolResult(response, unanswered));
      else if (part.thought !== true) user.push(userPart(part, `contents[${i}].parts[${j}]`));
    }
    if (results.length > 0) messages.push({ role: 'tool', parts: results });
    if (user.length > 0) messages.push({ role: 'user', parts: user });
  }
  return messages;
}

/**
 * Thought parts followed by a signature on the next part are one signed block of reasoning (the
 * signature covers the thoughts before it), as Anthropic needs it back; adjacent thoughts join.
 */
function foldThoughts(parts: AssistantPart[]): AssistantPart[] {
  const out: AssistantPart[] = [];
  for (const part of parts) {
    const last = out.at(-1);
    if (
      part.type === 'reasoning' &&
      last?.type === 'reasoning' &&
      !last.signature &&
      !last.redactedData &&
      !part.redactedData &&
      (part.text === '' || !part.signature)
    )
      out[out.length - 1] = { ...part, text: last.text + part.text };
    else out.push(part);
  }
  return out;
}

function userPart(part: JsonObject, at: string): UserPart {
  const text = str(part.text);
  if (text !== undefined) return { type: 'text', text };
  const inline = obj(part.inlineData);
  if (inline) {
    const mediaType = str(inline.mimeType) ?? '';
    if (!mediaType.startsWith('image/'))
      throw untranslatable(`${at}.inlineData.mimeType`, `"${mediaType}" data`);
    return { type: 'image', source: { kind: 'base64', mediaType, data: str(inline.data) ?? '' } };
  }
  const file = obj(part.fileData);
  if (file) {
    const mediaType = str(file.mimeType);
    if (mediaType && !mediaType.startsWith('image/'))
      throw untranslatable(`${at}.fileData.mimeType`, `a "${mediaType}" file`);
    const url = str(file.fileUri);
    if (!url) throw invalid(`${at}.fileData.fileUri`, 'field required');
    return { type: 'image', source: { kind: 'url', url } };
  }
  if (part.functionCall !== undefined)
    throw invalid(`${at}.functionCall`, 'only a "model" turn may call functions');
  const kind = Object.keys(part)[0] ?? 'an empty part';
  throw untranslatable(at, `a "${kind}" part`);
}

/**
 * The history's function calls not yet answered. Gemini pairs a response with its call by name;
 * an id pairs them only when a call has it: Gemini CLI makes one up (`name-time-random`) for a
 * call that came without, which no upstream would match to the call's own (`call_N`).
 */
function unansweredCalls() {
  const pending: { readonly id: string; readonly name: string }[] = [];
  return {
    add(id: string, name: string): void {
      pending.push({ id, name });
    },
    /** The id of the call a response answers (taken off the list): its own id, else the oldest of its name. */
    claim(id: string | undefined, name: string): string | undefined {
      let at = id === undefined ? -1 : pending.findIndex((call) => call.id === id);
      if (at === -1) at = pending.findIndex((call) => call.name === name);
      return at === -1 ? undefined : pending.splice(at, 1)[0]?.id;
    },
  };
}

function toolResult(response: JsonObject, unanswered: ReturnType<typeof unansweredCalls>): ToolResultPart {
  const name = str(response.name) ?? '';
  const own = str(response.id);
  // A response to a call the history no longer holds keeps what it says.
  const id = unanswered.claim(own, name) ?? own ?? `call_${name}`;
  const body = obj(response.response) ?? {};
  const isError = body.error !== undefined && Object.keys(body).length === 1;
  return {
    type: 'tool-result',
    toolCallId: id,
    name,
    content: [{ type: 'text', text: resultText(body) }],
    ...(isError ? { isError } : {}),
  };
}

/** `{"output": "…"}` (Gemini CLI's shape) and kin are the text itself; other objects go as JSON. */
function resultText(body: JsonObject): string {
  const keys = Object.keys(body);
  const only = keys.length === 1 ? body[keys[0] ?? ''] : undefined;
  if (typeof only === 'string' && ['output', 'content', 'result', 'error'].includes(keys[0] ?? ''))
    return only;
  return JSON.stringify(body);
}

function decodeTools(body: JsonObject): { tools: ToolDefinition[]; toolChoice?: ToolChoice } {
  const tools: ToolDefinition[] = [];
  for (const [i, tool] of objects(body.tools).entries()) {
    for (const key of Object.keys(tool))
      if (key !== 'functionDeclarations') throw untranslatable(`tools[${i}].${key}`, `the "${key}" tool`);
    for (const [j, decl] of objects(tool.functionDeclarations).entries()) {
      const name = str(decl.name);
      if (!name) throw invalid(`tools[${i}].functionDeclarations[${j}].name`, 'field required');
      const schema = obj(decl.parametersJsonSchema);
      const legacy = obj(decl.parameters);
      const description = str(decl.description);
      tools.push({
        name,
        parameters:
          schema ?? (legacy ? geminiSchemaToJsonSchema(legacy) : { type: 'object', properties: {} }),
        ...(description ? { description } : {}),
      });
    }
  }
  const calling = obj(obj(body.toolConfig)?.functionCallingConfig);
  const mode = str(calling?.mode);
  const allowed = arr(calling?.allowedFunctionNames).filter((n): n is string => typeof n === 'string');
  if (mode === 'NONE') return { tools, toolChoice: 'none' };
  if (mode === 'ANY') {
    if (allowed.length === 1 && allowed[0]) return { tools, toolChoice: { name: allowed[0] } };
    // Several allowed names: offer only those, and require a call.
    const offered = allowed.length > 0 ? tools.filter((t) => allowed.includes(t.name)) : tools;
    return { tools: offered, toolChoice: 'required' };
  }
  if (mode === 'AUTO' || mode === 'VALIDATED') return { tools, toolChoice: 'auto' };
  // MODE_UNSPECIFIED is the SDK enum's zero value: Gemini's default, as if no mode were given.
  if (mode !== undefined && mode !== 'MODE_UNSPECIFIED')
    throw invalid('toolConfig.functionCallingConfig.mode', `unknown mode "${mode}" (AUTO, ANY or NONE)`);
  return { tools };
}

function decodeThinking(thinking: JsonObject | undefined): ReasoningOptions | undefined {
  if (!thinking) return undefined;
  const budget = num(thinking.thinkingBudget);
  const level = str(thinking.thinkingLevel)?.toLowerCase();
  if (budget !== undefined && budget > 0) return { budgetTokens: budget };
  if (level === 'low' || level === 'medium' || level === 'high' || level === 'minimal')
    return { effort: level };
  // Gemini's way to turn thinking off: said as much to upstreams with a switch (GLM, Claude).
  if (budget === 0) return { mode: 'disabled' };
  // Dynamic thinking (-1) or thoughts asked for without a budget.
  if (budget === -1 || thinking.includeThoughts === true) return { effort: 'medium' };
  return undefined;
}

function decodeResponseFormat(config: JsonObject): ResponseFormat | undefined {
  const mime = str(config.responseMimeType);
  if (mime === undefined || mime === 'text/plain') return undefined;
  if (mime !== 'application/json') throw untranslatable('generationConfig.responseMimeType', `"${mime}"`);
  const json = config.responseJsonSchema;
  if (isJsonObject(json)) return { type: 'json_schema', name: 'response', schema: json };
  const legacy = obj(config.responseSchema);
  return legacy
    ? { type: 'json_schema', name: 'response', schema: geminiSchemaToJsonSchema(legacy) }
    : { type: 'json_object' };
}
