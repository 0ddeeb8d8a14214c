import { isJsonObject, type JsonObject, type JsonValue } from '../../spec/json.js';
import { num, obj, objects, str } from '../shared/json-read.js';

/**
 * Whether a whole chat completion is worth keeping in the response cache: some choice's message
 * holds something besides its role (text, however short, a tool call, a refusal, audio, images,
 * reasoning). No choices, or only messages with empty or null content and nothing else, is valid
 * JSON that a retry would usually fix, whatever its finish reason (a `content_filter` finish
 * with nothing in it too, as Gemini's blocked empty answer is not kept).
 */
export function openAiAnswerKeepable(body: JsonObject): boolean {
  return objects(body.choices).some((choice) => {
    const message = obj(choice.message);
    return (
      message !== undefined && Object.entries(message).some(([key, value]) => key !== 'role' && holds(value))
    );
  });
}

/**
 * The whole completion a chat completions stream makes: each choice's deltas folded into its
 * message (text fields joined, list fields such as tool call pieces appended, others as last
 * sent), with its last finish reason. Enough for `openAiAnswerKeepable` to judge a stream as it
 * judges a whole answer; `[DONE]` and a usage-only chunk add nothing.
 */
export function openAiStreamAnswer(events: readonly JsonObject[]): JsonObject {
  const choices = new Map<number, { message: JsonObject; finish: string | undefined }>();
  for (const event of events) {
    for (const choice of objects(event.choices)) {
      const index = num(choice.index) ?? 0;
      const folded = choices.get(index) ?? { message: { role: 'assistant' }, finish: undefined };
      choices.set(index, folded);
      for (const [key, value] of Object.entries(obj(choice.delta) ?? {})) {
        if (key !== 'role') folded.message[key] = joined(folded.message[key], value);
      }
      folded.finish = str(choice.finish_reason) ?? folded.finish;
    }
  }
  return {
    choices: [...choices].map(([index, { message, finish }]) => ({
      index,
      message,
      finish_reason: finish ?? null,
    })),
  };
}

/** A delta field added to what came before it. */
function joined(before: JsonValue | undefined, value: JsonValue): JsonValue {
  if (typeof before === 'string' && typeof value === 'string') return before + value;
  if (Array.isArray(before) && Array.isArray(value)) return [...before, ...value];
  return value === null && before !== undefined ? before : value;
}

/** A value that carries something: not null, nor an empty string, list or object. */
function holds(value: JsonValue): boolean {
  if (value === null || value === '') return false;
  if (Array.isArray(value)) return value.length > 0;
  return !isJsonObject(value) || Object.keys(value).length > 0;
}
