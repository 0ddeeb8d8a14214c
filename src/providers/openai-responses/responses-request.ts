import { GatewayError } from '../../errors/gateway-error.js';
import type { ChatRequest, ResponseFormat, TextPart, ToolChoice, ToolDefinition } from '../../spec/chat.js';
import type { JsonObject, JsonValue } from '../../spec/json.js';
import { num, obj, objects, str } from '../shared/json-read.js';
import { asEffort } from '../shared/reasoning-budget.js';
import { decodeInput } from './responses-input.js';

/**
 * A Responses API body → canonical request. The body was checked by `checkResponsesBody`;
 * what is valid Responses but has no canonical form (built-in tools, file inputs) is the
 * client's 400 here, raised only when the chosen upstream needs a translation.
 */
export function decodeResponsesRequest(body: JsonObject): ChatRequest {
  const system: TextPart[] = [];
  const instructions = str(body.instructions);
  if (instructions) system.push({ type: 'text', text: instructions });
  const messages = decodeInput(body.input, system);
  if (body.prompt !== undefined && body.prompt !== null)
    throw new GatewayError(
      'untranslatable_request',
      "prompt: a reusable prompt lives in OpenAI's account and is not available on this model's upstream",
      { param: 'prompt' },
    );
  const choice = decodeToolChoice(body.tool_choice);
  const declared = decodeTools(body.tools);
  const reasoning = obj(body.reasoning);
  const effort = str(reasoning?.effort);
  const request: ChatRequest = {
    model: str(body.model) ?? '',
    system,
    messages,
    // allowed_tools: the model may call only these (the rest are not offered upstream).
    tools: choice.allowed ? declared.filter((tool) => choice.allowed?.includes(tool.name)) : declared,
    stop: [],
    stream: body.stream === true,
    includeUsage: false,
  };
  const optional: Partial<Record<keyof ChatRequest, unknown>> = {
    toolChoice: choice.choice,
    parallelToolCalls: typeof body.parallel_tool_calls === 'boolean' ? body.parallel_tool_calls : undefined,
    maxTokens: num(body.max_output_tokens),
    temperature: num(body.temperature),
    topP: num(body.top_p),
    // `none` turns thinking off, as chat's reasoning_effort "none" does (presets that think by
    // default, GLM, Kimi, DeepSeek, are told so).
    reasoning:
      effort === 'none' ? { mode: 'disabled' } : asEffort(effort) ? { effort: asEffort(effort) } : undefined,
    user: str(body.user) ?? str(body.safety_identifier),
    responseFormat: decodeFormat(obj(obj(body.text)?.format)),
  };
  const out: Record<string, unknown> = { ...request };
  for (const [key, value] of Object.entries(optional)) if (value !== undefined) out[key] = value;
  return out as unknown as ChatRequest;
}

/**
 * A namespaced tool's name upstream: `<namespace>__<name>` (function names allow no dots). The
 * encoders split it back into `namespace` and `name` (see `toolNaming`).
 */
export const NAMESPACE_SEPARATOR = '__';

function decodeTools(tools: JsonValue | undefined): ToolDefinition[] {
  return objects(tools).flatMap((tool, i): ToolDefinition[] => {
    if (tool.type === 'namespace') {
      const space = str(tool.name) ?? '';
      return objects(tool.tools).map((inner, j) => {
        if (inner.type !== 'function')
          throw new GatewayError(
            'untranslatable_request',
            `tools[${i}].tools[${j}].type: the tool type "${String(inner.type)}" is not available on this model's upstream (only function tools are)`,
            { param: `tools[${i}].tools[${j}].type` },
          );
        return functionTool({ ...inner, name: `${space}${NAMESPACE_SEPARATOR}${str(inner.name) ?? ''}` });
      });
    }
    if (tool.type !== 'function') {
      throw new GatewayError(
        'untranslatable_request',
        `tools[${i}].type: the built-in tool "${String(tool.type)}" is not available on this model's upstream (only function tools are)`,
        { param: `tools[${i}].type` },
      );
    }
    return [functionTool(tool)];
  });
}

function functionTool(tool: JsonObject): ToolDefinition {
  const description = str(tool.description);
  return {
    name: str(tool.name) ?? '',
    parameters: obj(tool.parameters) ?? { type: 'object', properties: {} },
    ...(description ? { description } : {}),
    ...(typeof tool.strict === 'boolean' ? { strict: tool.strict } : {}),
  };
}

/** Splits an upstream tool name back into a namespace the request declared and the name in it. */
export function toolNaming(body: JsonObject): (name: string) => { name: string; namespace?: string } {
  const spaces = objects(body.tools)
    .filter((tool) => tool.type === 'namespace' && typeof tool.name === 'string')
    .map((tool) => `${String(tool.name)}${NAMESPACE_SEPARATOR}`);
  return (name) => {
    const space = spaces.find((prefix) => name.startsWith(prefix));
    return space
      ? { name: name.slice(space.length), namespace: space.slice(0, -NAMESPACE_SEPARATOR.length) }
      : { name };
  };
}

/**
 * `tool_choice` as the canonical choice, and the tools `allowed_tools` restricts calls to. A
 * choice of a hosted tool (web search, MCP, …) has no translation: refused like the tool itself.
 */
function decodeToolChoice(value: JsonValue | undefined): { choice?: ToolChoice; allowed?: string[] } {
  if (value === undefined || value === null) return {};
  if (value === 'auto' || value === 'none' || value === 'required') return { choice: value };
  const named = obj(value);
  if (named?.type === 'function' && typeof named.name === 'string') return { choice: { name: named.name } };
  if (named?.type === 'allowed_tools') {
    const allowed = objects(named.tools).map((tool, i) => {
      if (tool.type !== 'function' || typeof tool.name !== 'string')
        throw untranslatableChoice(`tools[${i}]`, tool.type);
      return tool.name;
    });
    return { choice: named.mode === 'required' ? 'required' : 'auto', allowed };
  }
  throw untranslatableChoice('type', named?.type);
}

function untranslatableChoice(at: string, type: JsonValue | undefined): GatewayError {
  return new GatewayError(
    'untranslatable_request',
    `tool_choice.${at}: a choice of "${String(type)}" is not available on this model's upstream (only function tools are)`,
    { param: 'tool_choice' },
  );
}

function decodeFormat(format: JsonObject | undefined): ResponseFormat | undefined {
  if (format?.type === 'json_object') return { type: 'json_object' };
  if (format?.type !== 'json_schema') return undefined;
  const description = str(format.description);
  return {
    type: 'json_schema',
    name: str(format.name) ?? 'response',
    schema: obj(format.schema) ?? {},
    ...(typeof format.strict === 'boolean' ? { strict: format.strict } : {}),
    ...(description ? { description } : {}),
  };
}
