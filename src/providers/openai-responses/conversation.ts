import { isJsonObject, type JsonObject, type JsonValue } from '../../spec/json.js';
import { carriesOtherProvidersReasoning } from './responses-input.js';
import { responsesId } from './responses-response.js';

const ID_PREFIX: Readonly<Record<string, string>> = {
  message: 'msg',
  function_call: 'fc',
  function_call_output: 'fco',
  reasoning: 'rs',
};

/**
 * A request's `input` as stored items: a string becomes one user message, string content
 * becomes a text part, and every item gets an `id` (for the input_items listing).
 */
export function inputItems(input: JsonValue | undefined): JsonObject[] {
  if (typeof input === 'string')
    return [
      {
        id: responsesId('msg'),
        type: 'message',
        role: 'user',
        content: [{ type: 'input_text', text: input }],
      },
    ];
  if (!Array.isArray(input)) return [];
  return input.filter(isJsonObject).map((item) => {
    const type = typeof item.type === 'string' ? item.type : 'message';
    const content =
      type === 'message' && typeof item.content === 'string'
        ? [{ type: item.role === 'assistant' ? 'output_text' : 'input_text', text: item.content }]
        : item.content;
    return {
      ...item,
      type,
      ...(content !== undefined ? { content } : {}),
      id: typeof item.id === 'string' ? item.id : responsesId(ID_PREFIX[type] ?? 'item'),
    };
  });
}

/** A stored conversation's items, then its answer's output items: the context a next turn continues. */
export function continuedItems(stored: {
  readonly inputItems: readonly JsonObject[];
  readonly response: JsonObject;
}): JsonObject[] {
  const output = Array.isArray(stored.response.output) ? stored.response.output.filter(isJsonObject) : [];
  return [...stored.inputItems, ...output];
}

/**
 * Items as an upstream takes them back: the ids the gateway gave to input items are dropped
 * (the Responses API knows no id on a user message); output items keep theirs.
 */
export function upstreamItems(items: readonly JsonObject[]): JsonObject[] {
  return items.map((item) => {
    const given =
      (item.type === 'message' && item.role !== 'assistant') || item.type === 'function_call_output';
    if (!given) return item;
    const { id: _id, ...rest } = item;
    return rest;
  });
}

/**
 * The body as an OpenAI Responses upstream takes it as is: reasoning another provider produced
 * (a turn answered on an Anthropic or Gemini channel, sent back by the client or continued by
 * `previous_response_id`) is left out, as OpenAI can verify only its own. The same body when there
 * is none. Translated channels decode the whole body instead, and keep what their provider signed.
 */
export function forNativeRelay(body: JsonObject): JsonObject {
  const { input } = body;
  if (!Array.isArray(input)) return body;
  const kept = input.filter((item) => !isJsonObject(item) || !carriesOtherProvidersReasoning(item));
  return kept.length === input.length ? body : { ...body, input: kept };
}
