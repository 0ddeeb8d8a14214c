import { isJsonObject, type JsonObject, type JsonValue } from '../../spec/json.js';
import { signatureFor, signatureFrom, WRAPPED_FOR_GEMINI } from '../shared/reasoning-signature.js';

/**
 * A thought signature another provider issued (as the gateway hands it to Gemini clients,
 * base64-wrapped, or plain `anthropic:…`): tested on the raw body first.
 */
const SUSPECT = new RegExp(`"thoughtSignature"\\s*:\\s*"(?:[a-z]+:|${WRAPPED_FOR_GEMINI.join('|')})`);

/**
 * A native Gemini body without the thought signatures another provider issued (Gemini answers
 * 400 to them: they are not even its base64), or null when it has none. A Gemini client that
 * talked to a Claude model through the gateway holds `anthropic:…` signatures, and sends them to
 * the next model after a switch. A function call that loses its signature gets `placeholder`
 * when the model requires one (Gemini 3), else none.
 */
export function withoutForeignSignatures(rawBody: string, placeholder: string | null): JsonObject | null {
  if (!SUSPECT.test(rawBody)) return null;
  const json: unknown = JSON.parse(rawBody);
  if (!isJsonObject(json) || !Array.isArray(json.contents)) return null;
  let changed = false;
  const contents = json.contents.map((content): JsonValue => {
    if (!isJsonObject(content) || !Array.isArray(content.parts)) return content;
    const parts = content.parts.map((part): JsonValue => {
      if (!isJsonObject(part) || typeof part.thoughtSignature !== 'string') return part;
      const own = signatureFor('gemini', signatureFrom('gemini', part.thoughtSignature));
      if (own === part.thoughtSignature) return part;
      changed = true;
      const { thoughtSignature: _foreign, ...rest } = part;
      if (own) return { ...rest, thoughtSignature: own };
      return part.functionCall !== undefined && placeholder
        ? { ...rest, thoughtSignature: placeholder }
        : rest;
    });
    return { ...content, parts };
  });
  return changed ? { ...json, contents } : null;
}
