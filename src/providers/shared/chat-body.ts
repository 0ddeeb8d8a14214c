import { GatewayError } from '../../errors/gateway-error.js';
import type { UpstreamCall } from '../../spec/provider.js';
import type { EncodeContext, UpstreamCodec } from '../../spec/wire.js';
import { openAiWire } from '../openai-compatible/wire.js';
import { clampRequest, outputLimit } from './output-limit.js';

/**
 * The translated upstream body for a chat call, or null when the client's own body can go
 * as is (same wire format and a pipeline that leaves requests alone): the fast path.
 */
export function translatedChatBody(
  call: UpstreamCall,
  wire: string,
  codec: UpstreamCodec,
  options: {
    readonly dialect?: Pick<EncodeContext, 'thinkingSwitch' | 'maxCompletionTokens'>;
    /** Other client formats the provider takes as they are (its `nativeWires`). */
    readonly nativeWires?: readonly string[];
  } = {},
): string | null {
  const { chat } = call;
  const same = chat && (chat.clientWire === wire || options.nativeWires?.includes(chat.clientWire));
  if (!chat || (same && !chat.rewritesRequest)) return null;
  const limit = outputLimit(call);
  const request = clampRequest(chat.request(), limit);
  // Other formats answer one choice: refused for this channel (another may speak OpenAI's format).
  if (request.choices !== undefined && request.choices > 1 && wire !== openAiWire.name)
    throw new GatewayError(
      'untranslatable_request',
      `n: ${request.choices} choices are not available on this model's upstream (only n: 1 is)`,
      { param: 'n' },
    );
  const body = codec.encodeRequest(request, {
    ...options.dialect,
    model: call.target.upstreamModel,
    stream: call.stream,
    ...(limit !== undefined ? { outputLimit: limit } : {}),
  });
  return JSON.stringify(body);
}
