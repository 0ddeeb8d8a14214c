import { MASK_MARK, maskSecret } from '../auth/secret-box.js';
import { GatewayError } from '../errors/gateway-error.js';

/**
 * An admin client that reads a channel, changes a field and sends `keys` back as it read them
 * sends them masked (`sk-…abcd`). Stored as sent, the mask would become the upstream key. A sent
 * key that is the mask of one of the channel's stored keys stands for it; a masked key that is no
 * stored key's mask is refused, naming it (`param`). (A masked header value is refused by the
 * channel schema: headers are replaced whole, and a mask is no HTTP header value.)
 */
export function unmaskKey(sent: string, current: readonly string[], param: string): string {
  if (!sent.includes(MASK_MARK)) return sent;
  const matches = current.filter((stored) => maskSecret(stored) === sent);
  if (matches.length === 1 && matches[0] !== undefined) return matches[0];
  throw new GatewayError(
    'invalid_request',
    matches.length > 1
      ? `${param} is masked, and more than one stored value has that mask: send the whole value`
      : `${param} is masked (as the admin API shows it) but no stored value of this channel has that mask: send the whole value`,
    { param },
  );
}
