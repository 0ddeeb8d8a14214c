import type { OutgoingRequest, Provider, UpstreamCall } from '../../spec/provider.js';
import { openAiWire } from '../openai-compatible/wire.js';
import { translatedChatBody } from '../shared/chat-body.js';
import { nativeBody } from '../shared/output-limit.js';
import { upstreamUrl } from '../shared/upstream-url.js';

/** The GA api-version used when a channel does not set `api_version`. */
export const AZURE_DEFAULT_API_VERSION = '2024-10-21';

const OPERATION_PATHS: Readonly<Record<string, string>> = {
  chat: '/chat/completions',
  completions: '/completions',
  embeddings: '/embeddings',
};

/**
 * OpenAI on Azure: the OpenAI wire format at a deployment URL. The deployment is the upstream
 * model name, so a channel's `model_map` maps client model names to deployments. The base URL is
 * the resource endpoint, e.g. `https://my-resource.openai.azure.com`.
 */
export const azureProvider: Provider = {
  name: 'azure',
  defaultBaseUrl: null,
  requiresKey: true,
  forwardsAnyPath: false,
  wire: openAiWire.name,
  buildRequest(call: UpstreamCall): OutgoingRequest {
    const { channel, upstreamModel } = call.target;
    const path = OPERATION_PATHS[call.operation];
    if (!path) throw new Error(`the azure provider does not serve ${call.path}`);
    const translated = translatedChatBody(call, openAiWire.name, openAiWire.upstream, {
      dialect: { maxCompletionTokens: true },
    });
    const headers: Record<string, string> = { ...channel.headers, 'content-type': 'application/json' };
    if (call.apiKey) headers['api-key'] = call.apiKey;
    if (call.stream) headers.accept = 'text/event-stream';
    const base = channel.baseUrl.replace(/\/+$/, '').replace(/\/openai$/, '');
    const version = encodeURIComponent(channel.apiVersion ?? AZURE_DEFAULT_API_VERSION);
    return {
      url: upstreamUrl(
        base,
        `/openai/deployments/${encodeURIComponent(upstreamModel)}${path}`,
        `?api-version=${version}`,
      ),
      method: 'POST',
      headers,
      // Azure routes by deployment and ignores the body's model, so the client's bytes go as sent.
      body: translated ?? nativeBody(call),
    };
  },
};
