import { GatewayError } from '../../errors/gateway-error.js';
import type {
  AssistantPart,
  ChatMessage,
  ImagePart,
  ReasoningPart,
  TextPart,
  ToolResultPart,
  UserPart,
} from '../../spec/chat.js';
import type { JsonObject, JsonValue } from '../../spec/json.js';
import { imageFromUrl } from '../shared/image-source.js';
import { objects, str } from '../shared/json-read.js';

/**
 * How a reasoning part's signature travels in a Responses `encrypted_content`: Anthropic and
 * Gemini signatures and redacted thinking are opaque strings the client must send back as given.
 */
const SIGNATURE = 'sig:';
const REDACTED = 'red:';

export function encryptedContent(part: ReasoningPart): string | undefined {
  if (part.redactedData) return `${REDACTED}${part.redactedData}`;
  if (part.signature) return `${SIGNATURE}${part.signature}`;
  return undefined;
}

/**
 * A reasoning item the gateway made from another provider's answer: its `encrypted_content` is
 * that provider's signature or redacted thinking, which OpenAI cannot verify (it answers 400
 * `invalid_encrypted_content`).
 */
export function carriesOtherProvidersReasoning(item: JsonObject): boolean {
  const encrypted = str(item.encrypted_content);
  return (
    item.type === 'reasoning' &&
    encrypted !== undefined &&
    (encrypted.startsWith(SIGNATURE) || encrypted.startsWith(REDACTED))
  );
}

/**
 * Responses `input` (a string, or items) → canonical messages. System and developer messages
 * join `system` (wherever they stand). A function call, the reasoning before it and the text
 * beside it are one assistant turn; consecutive function outputs are one tool turn.
 */
export function decodeInput(input: JsonValue | undefined, system: TextPart[]): ChatMessage[] {
  if (typeof input === 'string') return [{ role: 'user', parts: [{ type: 'text', text: input }] }];
  const messages: ChatMessage[] = [];
  const toolNames = new Map<string, string>();
  const pushAssistant = (part: AssistantPart) => {
    const last = messages.at(-1);
    if (last?.role === 'assistant')
      messages[messages.length - 1] = { role: 'assistant', parts: [...last.parts, part] };
    else messages.push({ role: 'assistant', parts: [part] });
  };
  for (const [i, item] of objects(input).entries()) {
    const at = `input[${i}]`;
    const type = str(item.type) ?? 'message';
    if (type === 'message') {
      const role = str(item.role);
      if (role === 'system' || role === 'developer') system.push(...textOf(item.content, at));
      else if (role === 'user') messages.push({ role: 'user', parts: userParts(item.content, at) });
      else for (const part of textOf(item.content, at)) pushAssistant(part);
    } else if (type === 'function_call') {
      const id = str(item.call_id) ?? '';
      const space = str(item.namespace);
      const name = space ? `${space}__${str(item.name) ?? ''}` : (str(item.name) ?? '');
      toolNames.set(id, name);
      pushAssistant({ type: 'tool-call', id, name, arguments: str(item.arguments) ?? '' });
    } else if (type === 'function_call_output') {
      const toolCallId = str(item.call_id) ?? '';
      const name = toolNames.get(toolCallId);
      const result: ToolResultPart = {
        type: 'tool-result',
        toolCallId,
        ...(name ? { name } : {}),
        content:
          typeof item.output === 'string'
            ? [{ type: 'text', text: item.output }]
            : userParts(item.output, `${at}.output`),
      };
      const last = messages.at(-1);
      if (last?.role === 'tool')
        messages[messages.length - 1] = { role: 'tool', parts: [...last.parts, result] };
      else messages.push({ role: 'tool', parts: [result] });
    } else if (type === 'reasoning') {
      pushAssistant(reasoningPart(item));
    } else {
      throw new GatewayError(
        'untranslatable_request',
        `${at}.type: input item type "${type}" cannot be translated for this model's upstream`,
        { param: `${at}.type` },
      );
    }
  }
  return messages;
}

function reasoningPart(item: JsonObject): ReasoningPart {
  const summary = objects(item.summary).map((s) => str(s.text) ?? '');
  const content = objects(item.content).map((s) => str(s.text) ?? '');
  const text = (content.length > 0 ? content : summary).join('\n\n');
  const encrypted = str(item.encrypted_content);
  if (encrypted?.startsWith(REDACTED))
    return { type: 'reasoning', text, redactedData: encrypted.slice(REDACTED.length) };
  if (encrypted?.startsWith(SIGNATURE))
    return { type: 'reasoning', text, signature: encrypted.slice(SIGNATURE.length) };
  return { type: 'reasoning', text };
}

/** The text of message content: a string, or `input_text` / `output_text` / `refusal` parts. */
function textOf(content: JsonValue | undefined, at: string): TextPart[] {
  if (typeof content === 'string') return [{ type: 'text', text: content }];
  return objects(content).map((part, j): TextPart => {
    if (part.type === 'input_text' || part.type === 'output_text')
      return { type: 'text', text: str(part.text) ?? '' };
    if (part.type === 'refusal') return { type: 'text', text: str(part.refusal) ?? '' };
    throw untranslatablePart(part, `${at}.content[${j}]`);
  });
}

function userParts(content: JsonValue | undefined, at: string): UserPart[] {
  if (typeof content === 'string') return [{ type: 'text', text: content }];
  return objects(content).map((part, j): UserPart => {
    if (part.type === 'input_text' || part.type === 'output_text')
      return { type: 'text', text: str(part.text) ?? '' };
    if (part.type === 'input_image') {
      const url = str(part.image_url);
      if (url) return { type: 'image', source: imageFromUrl(url) } satisfies ImagePart;
    }
    throw untranslatablePart(part, `${at}.content[${j}]`);
  });
}

function untranslatablePart(part: JsonObject, at: string): GatewayError {
  const what =
    part.type === 'input_image' ? 'an input_image by file_id' : `content part type "${String(part.type)}"`;
  return new GatewayError(
    'untranslatable_request',
    `${at}: ${what} cannot be translated for this model's upstream`,
    {
      param: at,
    },
  );
}
