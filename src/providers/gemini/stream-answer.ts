import type { JsonObject, JsonValue } from '../../spec/json.js';
import { num, obj, objects, str } from '../shared/json-read.js';

/**
 * The whole answer a streamGenerateContent stream makes (each event is a partial
 * GenerateContentResponse): the first candidate's parts from every event, its last finish
 * reason, and the prompt's feedback. Enough for `geminiAnswerKeepable` to judge a stream as it
 * judges a generateContent answer.
 */
export function geminiStreamAnswer(events: readonly JsonObject[]): JsonObject {
  const parts: JsonObject[] = [];
  let finishReason: string | undefined;
  let promptFeedback: JsonValue | undefined;
  let answered = false;
  for (const event of events) {
    if (event.promptFeedback !== undefined) promptFeedback = event.promptFeedback;
    const candidate = objects(event.candidates).find((c) => (num(c.index) ?? 0) === 0);
    if (!candidate) continue;
    answered = true;
    parts.push(...objects(obj(candidate.content)?.parts));
    finishReason = str(candidate.finishReason) ?? finishReason;
  }
  const candidate: JsonObject = { content: { role: 'model', parts }, index: 0 };
  if (finishReason !== undefined) candidate.finishReason = finishReason;
  return {
    ...(answered ? { candidates: [candidate] } : {}),
    ...(promptFeedback !== undefined ? { promptFeedback } : {}),
  };
}
