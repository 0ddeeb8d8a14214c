import type { JsonObject, JsonValue } from '../../spec/json.js';

/** The deterministic answer of the mock provider: it quotes the last user message back. */
export function mockAnswer(messages: JsonValue | undefined): string {
  const said = lastUserText(messages).slice(0, 200);
  return said
    ? `Hello from Switchboard's mock provider. You said: "${said}"`
    : "Hello from Switchboard's mock provider.";
}

function lastUserText(messages: JsonValue | undefined): string {
  if (!Array.isArray(messages)) return '';
  for (let i = messages.length - 1; i >= 0; i--) {
    const message = messages[i];
    if (!message || typeof message !== 'object' || Array.isArray(message)) continue;
    if (message.role !== 'user') continue;
    return textOf(message.content);
  }
  return '';
}

function textOf(content: JsonValue | undefined): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((part) =>
      part && typeof part === 'object' && !Array.isArray(part) && typeof part.text === 'string'
        ? part.text
        : '',
    )
    .join('');
}

/** A stable, rough token count (words and punctuation), so usage figures are reproducible. */
export function mockTokenCount(text: string): number {
  return text.match(/\w+|[^\s\w]/g)?.length ?? 0;
}

export function promptText(body: JsonObject): string {
  if (Array.isArray(body.messages)) {
    return body.messages
      .map((m) => (m && typeof m === 'object' && !Array.isArray(m) ? textOf(m.content) : ''))
      .join('\n');
  }
  if (typeof body.prompt === 'string') return body.prompt;
  if (typeof body.input === 'string') return body.input;
  if (Array.isArray(body.input))
    return body.input.map((item) => (typeof item === 'string' ? item : '')).join('\n');
  return '';
}

/** A unit-length vector derived from the text by FNV-1a, so equal inputs embed equally. */
export function mockEmbedding(text: string, dimensions = 8): number[] {
  let hash = 0x811c9dc5;
  const values: number[] = [];
  for (let d = 0; d < dimensions; d++) {
    for (let i = 0; i < text.length; i++) {
      hash ^= text.charCodeAt(i) + d;
      hash = Math.imul(hash, 0x01000193) >>> 0;
    }
    values.push((hash % 2000) / 1000 - 1);
  }
  const norm = Math.hypot(...values) || 1;
  return values.map((v) => Number((v / norm).toFixed(6)));
}

/** OpenAI's `encoding_format: "base64"`: the vector as little-endian float32 bytes, base64. */
export function float32Base64(values: readonly number[]): string {
  const view = new DataView(new ArrayBuffer(values.length * 4));
  for (const [i, value] of values.entries()) view.setFloat32(i * 4, value, true);
  let binary = '';
  for (const byte of new Uint8Array(view.buffer)) binary += String.fromCharCode(byte);
  return btoa(binary);
}
