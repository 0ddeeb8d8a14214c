import { GatewayError } from '../../errors/gateway-error.js';
import type { ChatMessage, ChatRequest, UserPart } from '../../spec/chat.js';
import { isJsonObject, type JsonObject, type JsonValue } from '../../spec/json.js';
import type { EncodeContext } from '../../spec/wire.js';
import { withoutEmptyText } from '../shared/empty-text.js';
import { compact, parseArguments } from '../shared/json-read.js';
import { effortBudget } from '../shared/reasoning-budget.js';
import { signatureFor } from '../shared/reasoning-signature.js';
import { foldSystemMessages } from '../shared/system-messages.js';

/** Models that refuse a function call turn without a thought signature (Gemini 3 and later). */
export const STRICT_SIGNATURES = /^(models\/)?gemini-([3-9]|\d{2,})/;

/**
 * The signature Google documents for function calls no Gemini model made (a conversation moved
 * over from another model): Gemini 3 then skips its check instead of refusing the turn.
 */
export const PLACEHOLDER_SIGNATURE = 'skip_thought_signature_validator';

/** Models without thinking: an adaptive request (the model's choice) asks them for none. */
const NO_THINKING = /^(models\/)?gemini-(1\.|2\.0)/;

/**
 * The thinking budgets Gemini 2.5 takes (ai.google.dev, "Gemini thinking", set the budget): Pro 128
 * to 32,768, Flash up to 24,576, Flash-Lite 512 to 24,576. Outside them it answers 400 "thinking_budget
 * is out of range" (Claude Code asks for 31,999).
 */
const BUDGET_RANGES: readonly (readonly [RegExp, number, number])[] = [
  [/^(models\/)?gemini-2\.5-pro/, 128, 32_768],
  [/^(models\/)?gemini-2\.5-flash-lite/, 512, 24_576],
  [/^(models\/)?gemini-2\.5-flash/, 1, 24_576],
];

/** Gemini's most stop sequences per request (GenerationConfig `stopSequences`: "up to 5"). */
const MAX_STOP_SEQUENCES = 5;

/** A positive budget within the model's range; 0 (off) and -1 (dynamic) as they are. */
function budgetInRange(budget: number | undefined, model: string): number | undefined {
  if (budget === undefined || budget <= 0) return budget;
  const range = BUDGET_RANGES.find(([name]) => name.test(model));
  return range ? Math.min(range[2], Math.max(range[1], budget)) : budget;
}

/** Canonical request → Gemini generateContent body. */
export function encodeGeminiRequest(request: ChatRequest, context: EncodeContext): JsonObject {
  const toolNames = new Map<string, string>();
  const contents: JsonObject[] = [];
  // Gemini takes no system turns: in-conversation system messages join systemInstruction.
  const folded = foldSystemMessages(request);
  for (const message of folded.messages) {
    const role = message.role === 'assistant' ? 'model' : 'user';
    const parts = encodeParts(message, toolNames, STRICT_SIGNATURES.test(context.model));
    if (parts.length === 0) continue;
    const last = contents.at(-1);
    // Gemini wants alternating turns: function responses and user text share one user turn.
    if (last && last.role === role && Array.isArray(last.parts)) last.parts = [...last.parts, ...parts];
    else contents.push({ role, parts });
  }
  const systemParts = withoutEmptyText(folded.system).map((p) => ({ text: p.text }));
  const { reasoning } = request;
  // -1: Gemini's dynamic thinking, the model's own choice (adaptive without an effort).
  const budget =
    reasoning?.budgetTokens ??
    effortBudget(reasoning?.effort) ??
    (reasoning?.mode === 'adaptive' ? -1 : undefined);
  if (request.stop.length > MAX_STOP_SEQUENCES)
    throw new GatewayError(
      'untranslatable_request',
      `stop: ${request.stop.length} stop sequences are more than this model's upstream takes (Gemini takes at most ${MAX_STOP_SEQUENCES})`,
      { param: 'stop' },
    );
  const choice = request.toolChoice;
  const generationConfig = compact({
    maxOutputTokens: request.maxTokens,
    temperature: request.temperature,
    topP: request.topP,
    topK: request.topK,
    stopSequences: request.stop.length > 0 ? [...request.stop] : undefined,
    responseMimeType: request.responseFormat ? 'application/json' : undefined,
    responseJsonSchema:
      request.responseFormat?.type === 'json_schema' ? request.responseFormat.schema : undefined,
    thinkingConfig:
      reasoning &&
      reasoning.mode !== 'disabled' &&
      !(reasoning.mode === 'adaptive' && NO_THINKING.test(context.model))
        ? compact({ includeThoughts: true, thinkingBudget: budgetInRange(budget, context.model) })
        : undefined,
  });
  return compact({
    // Gemini refuses an empty text part ("empty text parameter"): empty system text is left out.
    systemInstruction: systemParts.length > 0 ? { parts: systemParts } : undefined,
    contents,
    tools:
      request.tools.length > 0
        ? [
            {
              functionDeclarations: request.tools.map((t) =>
                compact({ name: t.name, description: t.description, parametersJsonSchema: t.parameters }),
              ),
            },
          ]
        : undefined,
    toolConfig:
      choice === undefined || request.tools.length === 0
        ? undefined
        : {
            functionCallingConfig:
              typeof choice === 'object'
                ? { mode: 'ANY', allowedFunctionNames: [choice.name] }
                : { mode: choice === 'required' ? 'ANY' : choice === 'none' ? 'NONE' : 'AUTO' },
          },
    generationConfig: Object.keys(generationConfig).length > 0 ? generationConfig : undefined,
  });
}

function encodeParts(
  message: ChatMessage,
  toolNames: Map<string, string>,
  /** The model refuses unsigned function calls: an unsigned turn gets the placeholder. */
  strict: boolean,
): JsonObject[] {
  // An empty text part (an empty message, empty text beside a tool result) Gemini refuses; a turn
  // left with no parts is skipped.
  if (message.role === 'user') return withoutEmptyText(message.parts).map(encodeUserPart);
  if (message.role === 'tool') {
    return message.parts.flatMap((result) => {
      // Separate text blocks (an MCP tool's result lines) stay apart.
      const text = result.content
        .flatMap((p) => (p.type === 'text' && p.text !== '' ? [p.text] : []))
        .join('\n');
      // Images a tool returned (a screenshot, a file read) follow its response as parts of their own.
      const images = result.content.filter((p) => p.type === 'image').map(encodeUserPart);
      return [
        {
          functionResponse: {
            name: result.name ?? toolNames.get(result.toolCallId) ?? 'tool',
            response: responseObject(text, result.isError === true),
          },
        },
        ...images,
      ];
    });
  }
  const parts: JsonObject[] = [];
  // Gemini returns a thought signature on the part after the thinking; it must go back there.
  let signature: string | undefined;
  for (const part of message.parts) {
    if (part.type === 'reasoning') {
      // Another provider's signature is not Gemini's to check (nor even its base64): left out.
      signature = (part.signature ? signatureFor('gemini', part.signature) : undefined) ?? signature;
      continue;
    }
    const sig: JsonObject = signature ? { thoughtSignature: signature } : {};
    signature = undefined;
    if (part.type === 'text') {
      if (part.text) parts.push({ text: part.text, ...sig });
    } else {
      toolNames.set(part.id, part.name);
      parts.push({ functionCall: { name: part.name, args: parseArguments(part.arguments) }, ...sig });
    }
  }
  return withCallSignature(parts, strict);
}

/**
 * Gemini 3 refuses a turn whose first function call has no thought signature ("Function call is
 * missing a thought_signature"). A client that keeps one signature per message (OpenAI's
 * `reasoning_signature`) sends it back before the text, so it lands on the text part: it moves to
 * the first function call, where Gemini put it.
 */
function withCallSignature(parts: JsonObject[], strict: boolean): JsonObject[] {
  const call = parts.findIndex((p) => p.functionCall !== undefined);
  if (call < 0 || parts[call]?.thoughtSignature !== undefined) return parts;
  const signed = parts.findIndex((p, i) => i < call && p.thoughtSignature !== undefined);
  if (signed < 0) {
    if (!strict) return parts;
    return parts.map((p, i) => (i === call ? { ...p, thoughtSignature: PLACEHOLDER_SIGNATURE } : p));
  }
  const { thoughtSignature, ...text } = parts[signed] as JsonObject;
  return parts.map((p, i) =>
    i === signed ? text : i === call ? { ...p, thoughtSignature: thoughtSignature as JsonValue } : p,
  );
}

/** A function response must be an object: JSON objects pass as is, anything else is wrapped. */
function responseObject(text: string, isError: boolean): JsonObject {
  try {
    const parsed: unknown = JSON.parse(text);
    if (isJsonObject(parsed)) return parsed;
  } catch {
    // Plain text result.
  }
  return isError ? { error: text } : { content: text };
}

function encodeUserPart(part: UserPart): JsonObject {
  if (part.type === 'text') return { text: part.text };
  if (part.source.kind === 'base64')
    return { inlineData: { mimeType: part.source.mediaType, data: part.source.data } };
  return { fileData: { fileUri: part.source.url, mimeType: guessMimeType(part.source.url) } };
}

function guessMimeType(url: string): string {
  const ext = /\.([a-z0-9]+)(?:[?#]|$)/i.exec(url)?.[1]?.toLowerCase();
  if (ext === 'png') return 'image/png';
  if (ext === 'webp') return 'image/webp';
  if (ext === 'gif') return 'image/gif';
  return 'image/jpeg';
}
