import { GatewayError } from '../../errors/gateway-error.js';
import { isJsonObject, type JsonObject, type JsonValue } from '../../spec/json.js';

const ROLES = new Set(['user', 'assistant', 'system', 'developer']);
const EFFORTS = new Set(['none', 'minimal', 'low', 'medium', 'high', 'xhigh']);
const SUMMARIES = new Set(['auto', 'concise', 'detailed']);
const FORMATS = new Set(['text', 'json_object', 'json_schema']);

const bad = (param: string, message: string) =>
  new GatewayError('invalid_request', `${param}: ${message}`, { param });

/**
 * The shape checks of a Responses API body, for every upstream (relayed or translated): each
 * wrong field is a 400 naming it. Returns the model.
 */
export function checkResponsesBody(json: JsonObject): string {
  if (typeof json.model !== 'string' || json.model.trim() === '')
    throw new GatewayError('missing_model', 'model: field required', { param: 'model' });
  if (json.background === true)
    throw bad('background', 'background responses are not supported by this gateway');
  if (json.conversation !== undefined && json.conversation !== null)
    throw bad('conversation', 'conversations are not supported by this gateway; use previous_response_id');
  checkInput(json.input, json.previous_response_id);
  optional(json, 'instructions', 'a string', (v) => typeof v === 'string');
  optional(json, 'previous_response_id', 'a string', (v) => typeof v === 'string' && v !== '');
  for (const flag of ['stream', 'store', 'parallel_tool_calls'])
    optional(json, flag, 'a boolean', (v) => typeof v === 'boolean');
  optional(json, 'max_output_tokens', 'a positive integer', (v) => Number.isInteger(v) && (v as number) > 0);
  optional(json, 'temperature', 'a number from 0 to 2', (v) => typeof v === 'number' && v >= 0 && v <= 2);
  optional(json, 'top_p', 'a number from 0 to 1', (v) => typeof v === 'number' && v >= 0 && v <= 1);
  optional(
    json,
    'include',
    'an array of strings',
    (v) => Array.isArray(v) && v.every((s) => typeof s === 'string'),
  );
  optional(
    json,
    'metadata',
    'an object of string values',
    (v) => isJsonObject(v) && Object.values(v).every((s) => typeof s === 'string'),
  );
  checkTools(json.tools, json.tool_choice);
  checkText(json.text);
  checkReasoning(json.reasoning);
  return json.model;
}

function optional(json: JsonObject, field: string, what: string, ok: (value: JsonValue) => boolean): void {
  const value = json[field];
  if (value !== undefined && value !== null && !ok(value)) throw bad(field, `must be ${what}`);
}

function checkInput(input: JsonValue | undefined, previous: JsonValue | undefined): void {
  if (input === undefined || input === null) {
    if (previous === undefined || previous === null) throw bad('input', 'field required');
    return;
  }
  if (typeof input === 'string') return;
  if (!Array.isArray(input)) throw bad('input', 'must be a string or an array of input items');
  // An empty list continues a stored conversation, but alone has nothing to answer.
  if (input.length === 0 && (previous === undefined || previous === null))
    throw new GatewayError('missing_messages', 'input: at least one input item is required', {
      param: 'input',
    });
  input.forEach((item, i) => {
    const at = `input[${i}]`;
    if (!isJsonObject(item)) throw bad(at, 'must be an object');
    const type = item.type ?? 'message';
    if (typeof type !== 'string') throw bad(`${at}.type`, 'must be a string');
    if (type === 'message') {
      if (typeof item.role !== 'string' || !ROLES.has(item.role))
        throw bad(`${at}.role`, 'must be one of user, assistant, system, developer');
      checkContent(item.content, `${at}.content`);
    } else if (type === 'function_call') {
      for (const field of ['call_id', 'name', 'arguments'])
        if (typeof item[field] !== 'string') throw bad(`${at}.${field}`, 'must be a string');
    } else if (type === 'function_call_output') {
      if (typeof item.call_id !== 'string') throw bad(`${at}.call_id`, 'must be a string');
      if (typeof item.output !== 'string') checkContent(item.output, `${at}.output`);
    } else if (type === 'reasoning') {
      if (!Array.isArray(item.summary)) throw bad(`${at}.summary`, 'must be an array');
    }
  });
}

function checkContent(content: JsonValue | undefined, at: string): void {
  if (typeof content === 'string') return;
  if (!Array.isArray(content)) throw bad(at, 'must be a string or an array of content parts');
  content.forEach((part, j) => {
    if (!isJsonObject(part) || typeof part.type !== 'string') throw bad(`${at}[${j}].type`, 'field required');
    if ((part.type === 'input_text' || part.type === 'output_text') && typeof part.text !== 'string')
      throw bad(`${at}[${j}].text`, 'must be a string');
  });
}

function checkTools(tools: JsonValue | undefined, choice: JsonValue | undefined): void {
  if (tools !== undefined && tools !== null) {
    if (!Array.isArray(tools)) throw bad('tools', 'must be an array');
    tools.forEach((tool, i) => {
      if (!isJsonObject(tool) || typeof tool.type !== 'string')
        throw bad(`tools[${i}].type`, 'field required');
      if (tool.type !== 'function') return;
      if (typeof tool.name !== 'string' || tool.name === '') throw bad(`tools[${i}].name`, 'field required');
      if (tool.parameters !== undefined && tool.parameters !== null && !isJsonObject(tool.parameters))
        throw bad(`tools[${i}].parameters`, 'must be a JSON Schema object');
    });
  }
  if (choice === undefined || choice === null) return;
  if (typeof choice === 'string') {
    if (!['auto', 'none', 'required'].includes(choice))
      throw bad('tool_choice', 'must be auto, none, required or an object');
    return;
  }
  if (!isJsonObject(choice) || typeof choice.type !== 'string')
    throw bad('tool_choice', 'must be auto, none, required or an object');
  if (choice.type === 'function' && typeof choice.name !== 'string')
    throw bad('tool_choice.name', 'field required');
}

function checkText(text: JsonValue | undefined): void {
  if (text === undefined || text === null) return;
  if (!isJsonObject(text)) throw bad('text', 'must be an object');
  const format = text.format;
  if (format === undefined || format === null) return;
  if (!isJsonObject(format) || typeof format.type !== 'string' || !FORMATS.has(format.type))
    throw bad('text.format.type', 'must be text, json_object or json_schema');
  if (format.type !== 'json_schema') return;
  if (typeof format.name !== 'string' || format.name === '') throw bad('text.format.name', 'field required');
  if (!isJsonObject(format.schema)) throw bad('text.format.schema', 'must be a JSON Schema object');
}

function checkReasoning(reasoning: JsonValue | undefined): void {
  if (reasoning === undefined || reasoning === null) return;
  if (!isJsonObject(reasoning)) throw bad('reasoning', 'must be an object');
  const { effort, summary } = reasoning;
  if (effort !== undefined && effort !== null && (typeof effort !== 'string' || !EFFORTS.has(effort)))
    throw bad('reasoning.effort', 'must be one of none, minimal, low, medium, high, xhigh');
  if (summary !== undefined && summary !== null && (typeof summary !== 'string' || !SUMMARIES.has(summary)))
    throw bad('reasoning.summary', 'must be one of auto, concise, detailed');
}
