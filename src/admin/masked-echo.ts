import { maskSecret } from '../auth/secret-box.js';
import { GatewayError } from '../errors/gateway-error.js';

/** What a masked value holds (`sk-…abcd`): no upstream key or header value has it. */
const MASK_MARK = '…';

/**
 * An admin client that reads a channel, changes a field and sends `keys` back as it read them
 * sends them masked (`sk-…abcd`). Stored as sent, the mask would become the upstream key. A sent
 * key that is the mask of one of the channel's stored keys stands for it; a masked key that is no
 * stored key's mask is refused, naming it. (A masked header value is refused by the channel
 * schema: headers are replaced whole, and a mask is no HTTP header value.)
 */
export function unmaskKeys(sent: readonly string[], current: readonly string[], param = 'keys'): string[] {
  return sent.map((value, i) => {
    if (!value.includes(MASK_MARK)) return value;
    const matches = current.filter((stored) => maskSecret(stored) === value);
    if (matches.length === 1 && matches[0] !== undefined) return matches[0];
    throw maskedRefused(sent.length === 1 && param === 'key' ? 'key' : `${param}[${i}]`, matches.length > 1);
  });
}

function maskedRefused(param: string, ambiguous: boolean): GatewayError {
  return new GatewayError(
    'invalid_request',
    ambiguous
      ? `${param} is masked, and more than one stored value has that mask: send the whole value`
      : `${param} is masked (as the admin API shows it) but no stored value of this channel has that mask: send the whole value`,
    { param },
  );
}
