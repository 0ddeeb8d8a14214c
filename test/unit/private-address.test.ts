import { describe, expect, it } from 'vitest';
import { isPrivateAddress, isPrivateHost } from '../../src/config/private-address.js';

/** The hostname `new URL()` leaves for an address, as the admin API and the config see it. */
const hostOf = (address: string) => new URL(`http://[${address}]/v1`).hostname;

describe('upstreams.deny_private: the IPv6 forms that reach a private IPv4 address', () => {
  it.each([
    // NAT64 local-use prefix (RFC 8215): translated by a NAT64 of the operator's own network,
    // to whatever IPv4 it is set up for, at any prefix length up to /96 inside the /48.
    '64:ff9b:1::a9fe:a9fe',
    '64:ff9b:1::7f00:1',
    '64:ff9b:1:0:0:0:a00:1',
    '64:ff9b:1:ffff::1',
    '64:ff9b:1::808:808',
    // IPv4-translated (RFC 2765, SIIT): ::ffff:0:a.b.c.d
    '::ffff:0:127.0.0.1',
    '::ffff:0:10.0.0.1',
    '::ffff:0:169.254.169.254',
    '::ffff:0:192.168.1.1',
    '0:0:0:0:ffff:0:7f00:1',
  ])('%s is refused, written as is and as a URL hostname', (address) => {
    expect(isPrivateAddress(address)).toBe(true);
    expect(isPrivateHost(hostOf(address))).toBe(true);
  });

  it.each([
    '2606:4700:4700::1111',
    '2001:4860:4860::8888',
    '2a00:1450:4001:81b::200e',
    '64:ff9b::808:808', // the well-known NAT64 prefix to a public IPv4 (8.8.8.8)
    '64:ff9b:2::1', // outside the local-use /48
    '::ffff:0:8.8.8.8', // IPv4-translated public address
    '::ffff:8.8.8.8',
  ])('the public %s stays allowed', (address) => {
    expect(isPrivateAddress(address)).toBe(false);
    expect(isPrivateHost(hostOf(address))).toBe(false);
  });

  it('the forms already refused stay refused', () => {
    for (const address of [
      '::1',
      '::',
      '::ffff:127.0.0.1',
      '64:ff9b::a9fe:a9fe',
      '2002:7f00:1::',
      'fd00::1',
      'fe80::1',
    ])
      expect(isPrivateAddress(address)).toBe(true);
  });
});
