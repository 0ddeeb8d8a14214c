import type { UpstreamCall } from '../../spec/provider.js';
import type { UpstreamCodec } from '../../spec/wire.js';

/**
 * The translated upstream body for a chat call, or null when the client's own body can go
 * as is (same wire format and a pipeline that leaves requests alone): the fast path.
 */
export function translatedChatBody(
  call: UpstreamCall,
  wire: string,
  codec: UpstreamCodec,
  /** Other client formats the provider takes as they are (its `nativeWires`). */
  nativeWires: readonly string[] = [],
): string | null {
  const { chat } = call;
  const same = chat && (chat.clientWire === wire || nativeWires.includes(chat.clientWire));
  if (!chat || (same && !chat.rewritesRequest)) return null;
  const body = codec.encodeRequest(chat.request(), { model: call.target.upstreamModel, stream: call.stream });
  return JSON.stringify(body);
}
