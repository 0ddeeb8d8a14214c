import type { OutgoingRequest, Provider, UpstreamCall } from '../../spec/provider.js';
import { translatedChatBody } from '../shared/chat-body.js';
import { upstreamUrl } from '../shared/upstream-url.js';
import { withoutForeignSignatures } from './foreign-signatures.js';
import { PLACEHOLDER_SIGNATURE, STRICT_SIGNATURES } from './generate-request.js';
import { geminiWire } from './wire.js';
import { GEMINI_JSON_ARRAY_WIRE } from './wire-name.js';

/** A streamed JSON array is Gemini's own format too, only framed differently. */
const nativeWires = [GEMINI_JSON_ARRAY_WIRE];

/**
 * Google's Gemini API (generateContent / streamGenerateContent with alt=sse). The key travels in
 * the `x-goog-api-key` header, never in the URL, so it cannot leak into logs of URLs.
 */
export const geminiProvider: Provider = {
  name: 'gemini',
  defaultBaseUrl: 'https://generativelanguage.googleapis.com/v1beta',
  requiresKey: true,
  forwardsAnyPath: false,
  wire: geminiWire.name,
  nativeWires,
  buildRequest(call: UpstreamCall): OutgoingRequest {
    if (!call.chat) throw new Error(`the gemini provider serves chat only, not ${call.path}`);
    // A Gemini client's body goes as sent (byte-faithful), in either stream framing; other
    // formats are translated.
    const { channel, upstreamModel } = call.target;
    const body =
      translatedChatBody(call, geminiWire.name, geminiWire.upstream, { nativeWires }) ??
      nativeGeminiBody(call, upstreamModel);
    const model = encodeURIComponent(upstreamModel.replace(/^models\//, ''));
    const method = call.stream ? 'streamGenerateContent' : 'generateContent';
    const headers: Record<string, string> = { ...channel.headers, 'content-type': 'application/json' };
    if (call.apiKey) headers['x-goog-api-key'] = call.apiKey;
    return {
      url: upstreamUrl(channel.baseUrl, `/models/${model}:${method}`, call.stream ? '?alt=sse' : ''),
      method: 'POST',
      headers,
      body,
    };
  },
};

/** The client's own body, less thought signatures another provider issued. */
function nativeGeminiBody(call: UpstreamCall, upstreamModel: string): UpstreamCall['rawBody'] {
  const raw = call.rawBody;
  if (typeof raw !== 'string') return raw;
  const placeholder = STRICT_SIGNATURES.test(upstreamModel) ? PLACEHOLDER_SIGNATURE : null;
  // The client's own JSON (the call's carries the model and stream flag the path gave it).
  const cleaned = withoutForeignSignatures(raw, placeholder);
  return cleaned ? JSON.stringify(cleaned) : raw;
}
