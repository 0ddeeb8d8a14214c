import type { UpstreamCall } from '../../spec/provider.js';
import type { EncodeContext, UpstreamCodec } from '../../spec/wire.js';
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
    readonly dialect?: Pick<EncodeContext, 'thinkingSwitch'>;
    /** Other client formats the provider takes as they are (its `nativeWires`). */
    readonly nativeWires?: readonly string[];
  } = {},
): string | null {
  const { chat } = call;
  const same = chat && (chat.clientWire === wire || options.nativeWires?.includes(chat.clientWire));
  if (!chat || (same && !chat.rewritesRequest)) return null;
  const request = clampRequest(chat.request(), outputLimit(call));
  const body = codec.encodeRequest(request, {
    ...options.dialect,
    model: call.target.upstreamModel,
    stream: call.stream,
  });
  return JSON.stringify(body);
}
