import { type LookupAddress, type LookupAllOptions, type LookupOptions, lookup } from 'node:dns';
import { isPrivateAddress } from '../../config/private-address.js';

/** Error code the gateway turns into a readable attempt reason (src/router/send-attempt.ts). */
export const ADDRESS_DENIED = 'ERR_UPSTREAM_ADDRESS_DENIED';

export function deniedAddressError(host: string, address?: string): Error {
  const what = address && address !== host ? `${host} resolves to ${address}, ` : `${host} is `;
  return Object.assign(
    new Error(`${what}a loopback or private address, which upstreams.deny_private refuses`),
    { code: ADDRESS_DENIED },
  );
}

type LookupCallback = (
  err: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;

/** Resolves every address of a name, as `dns.lookup` with `all: true` does. */
export type ResolveAll = (
  hostname: string,
  options: LookupAllOptions,
  callback: (err: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void,
) => void;

/**
 * A `dns.lookup` for upstream sockets under `upstreams.deny_private`: the check runs after
 * resolution, on the very addresses the socket will use, so a public name pointing at 127.0.0.1
 * or 169.254.169.254 is refused too (and a rebinding name cannot swap in between).
 */
export function publicOnlyLookup(resolve: ResolveAll = lookup) {
  return (hostname: string, options: LookupOptions | LookupAllOptions, callback: LookupCallback): void => {
    resolve(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '');
      const denied = addresses.find((entry) => isPrivateAddress(entry.address) === true);
      if (denied) return callback(deniedAddressError(hostname, denied.address), '');
      if ((options as LookupAllOptions).all) return callback(null, addresses);
      const [first] = addresses;
      if (!first)
        return callback(Object.assign(new Error(`no address for ${hostname}`), { code: 'ENOTFOUND' }), '');
      callback(null, first.address, first.family);
    });
  };
}
