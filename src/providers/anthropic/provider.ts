import type { OutgoingRequest, Provider, UpstreamCall } from '../../spec/provider.js';
import { translatedChatBody } from '../shared/chat-body.js';
import { nativeBody } from '../shared/output-limit.js';
import { upstreamUrl } from '../shared/upstream-url.js';
import { withoutForeignThinking } from './foreign-thinking.js';
import { anthropicWire } from './wire.js';

export const ANTHROPIC_VERSION = '2023-06-01';

/**
 * Anthropic's Messages API. Requests from the Anthropic front door go through untouched (the
 * model name aside); the rest are translated from the canonical model.
 */
export const anthropicProvider: Provider = {
  name: 'anthropic',
  defaultBaseUrl: 'https://api.anthropic.com/v1',
  requiresKey: true,
  forwardsAnyPath: false,
  wire: anthropicWire.name,
  buildRequest(call: UpstreamCall): OutgoingRequest {
    if (!call.chat) throw new Error(`the anthropic provider serves chat only, not ${call.path}`);
    const { channel, upstreamModel } = call.target;
    const translated = translatedChatBody(call, anthropicWire.name, anthropicWire.upstream);
    const headers: Record<string, string> = {
      'anthropic-version': ANTHROPIC_VERSION,
      ...(translated === null ? call.chat.forwardHeaders : {}),
      ...channel.headers,
      'content-type': 'application/json',
    };
    if (call.apiKey) headers['x-api-key'] = call.apiKey;
    if (call.stream) headers.accept = 'text/event-stream';
    return {
      url: upstreamUrl(channel.baseUrl, '/messages'),
      method: 'POST',
      headers,
      body: translated ?? nativeBody(withAnthropicThinkingOnly(call), upstreamModel),
    };
  },
};

/** The call with its body cleared of thinking Anthropic did not sign (the same call when none). */
function withAnthropicThinkingOnly(call: UpstreamCall): UpstreamCall {
  if (!call.json || typeof call.rawBody !== 'string') return call;
  const cleaned = withoutForeignThinking(call.json, call.rawBody);
  return cleaned ? { ...call, json: cleaned, rawBody: JSON.stringify(cleaned) } : call;
}
