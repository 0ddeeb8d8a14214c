import type { OutgoingRequest, Provider, UpstreamCall } from '../../spec/provider.js';
import { RESPONSES_WIRE } from '../openai-responses/wire-name.js';
import { translatedChatBody } from '../shared/chat-body.js';
import { nativeBody } from '../shared/output-limit.js';
import { upstreamUrl } from '../shared/upstream-url.js';
import type { AppIdentity, OpenAiCompatiblePreset } from './presets.js';
import { openAiWire } from './wire.js';

/**
 * The OpenAI wire format, spoken by most providers. The client body is forwarded as sent; it is
 * re-encoded only when the upstream model name differs from the one the client asked for.
 */
export function createOpenAiCompatibleProvider(preset: OpenAiCompatiblePreset, app: AppIdentity): Provider {
  const appHeaders = preset.appHeaders ? preset.appHeaders(app) : {};
  const nativeWires = preset.responsesApi ? [RESPONSES_WIRE] : [];
  return {
    name: preset.name,
    defaultBaseUrl: preset.baseUrl,
    requiresKey: preset.requiresKey,
    forwardsAnyPath: true,
    wire: openAiWire.name,
    nativeWires,
    buildRequest(call: UpstreamCall): OutgoingRequest {
      const { channel } = call.target;
      const translated = translatedChatBody(call, openAiWire.name, openAiWire.upstream, {
        dialect: {
          thinkingSwitch: preset.thinkingSwitch === true,
          maxCompletionTokens: preset.maxCompletionTokens === true,
        },
        nativeWires,
      });
      // The client's own headers (`openai-beta`) only on a call relayed as sent; the channel's
      // headers win over them.
      const own = { ...appHeaders, ...channel.headers };
      const headers: Record<string, string> = {
        ...(translated === null ? notSetBy(call.clientHeaders, own) : undefined),
        ...own,
      };
      if (call.contentType) headers['content-type'] = call.contentType;
      if (call.apiKey) headers.authorization = `Bearer ${call.apiKey}`;
      if (call.stream) headers.accept = 'text/event-stream';
      // A translated call came in on another front door (e.g. /messages): its path is ours to pick;
      // a native one (e.g. /responses) keeps the client's.
      const path = translated === null ? call.path : '/chat/completions';
      return {
        url: upstreamUrl(channel.baseUrl, path, translated === null ? call.search : ''),
        method: call.method,
        headers,
        body: translated ?? nativeBody(call, call.target.upstreamModel),
      };
    },
  };
}

/**
 * The client's headers (lower-case names) that the gateway's own headers do not set in any
 * spelling: sent both ways, fetch would join them into one value the upstream refuses.
 */
function notSetBy(
  client: Readonly<Record<string, string>> | undefined,
  own: Readonly<Record<string, string>>,
): Record<string, string> | undefined {
  if (!client) return undefined;
  const taken = new Set(Object.keys(own).map((name) => name.toLowerCase()));
  return Object.fromEntries(Object.entries(client).filter(([name]) => !taken.has(name)));
}
