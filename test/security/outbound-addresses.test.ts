import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OutboundPolicy, internalRange } from '../../src/security/outbound-addresses';

/** Addresses a target may not reach by default, with the range Ferry names. */
const INTERNAL: [string, string][] = [
  ['127.0.0.1', 'loopback'],
  ['127.255.255.254', 'loopback'],
  ['0.0.0.0', 'unspecified'],
  ['0.1.2.3', 'unspecified'],
  ['10.0.0.1', 'private'],
  ['10.255.255.255', 'private'],
  ['172.16.0.1', 'private'],
  ['172.31.255.255', 'private'],
  ['192.168.1.1', 'private'],
  ['169.254.169.254', 'linkLocal'],
  ['100.64.0.1', 'carrierGradeNat'],
  ['100.127.255.255', 'carrierGradeNat'],
  ['224.0.0.1', 'multicast'],
  ['239.255.255.250', 'multicast'],
  ['255.255.255.255', 'broadcast'],
  ['240.0.0.1', 'reserved'],
  ['192.0.0.8', 'reserved'],
  ['192.0.2.10', 'reserved'],
  ['198.51.100.1', 'reserved'],
  ['203.0.113.1', 'reserved'],
  ['198.18.0.1', 'benchmarking'],
  ['::1', 'loopback'],
  ['::', 'unspecified'],
  ['fe80::1', 'linkLocal'],
  ['fe80::1%eth0', 'linkLocal'],
  ['fc00::1', 'uniqueLocal'],
  ['fd12:3456:789a::1', 'uniqueLocal'],
  ['ff02::1', 'multicast'],
  ['fec0::1', 'siteLocal'],
  ['2001:db8::1', 'reserved'],
  ['100::1', 'discard'],
  ['2001::1', 'teredo'],
  // IPv4-mapped, IPv4-translated, NAT64 and 6to4 forms are judged by the IPv4 address they carry.
  ['::ffff:127.0.0.1', 'loopback'],
  ['::ffff:7f00:1', 'loopback'],
  ['::ffff:10.1.2.3', 'private'],
  ['::ffff:169.254.169.254', 'linkLocal'],
  ['::ffff:0.0.0.0', 'unspecified'],
  ['::ffff:0:127.0.0.1', 'loopback'],
  ['64:ff9b::127.0.0.1', 'loopback'],
  ['64:ff9b::a00:1', 'private'],
  ['2002:7f00:1::', 'loopback'],
  ['2002:c0a8:101::1', 'private'],
  ['::127.0.0.1', 'ipv4Compatible'],
  ['[::1]', 'loopback'],
];

const PUBLIC = [
  '1.1.1.1',
  '8.8.8.8',
  '93.184.216.34',
  '100.63.255.255',
  '100.128.0.0',
  '172.15.255.255',
  '172.32.0.0',
  '192.169.0.1',
  '169.253.255.255',
  '223.255.255.255',
  '2606:4700:4700::1111',
  '2a00:1450:4001:80b::200e',
  '::ffff:8.8.8.8',
  '64:ff9b::808:808',
  '2002:808:808::1',
];

describe('outbound address classification', () => {
  it('names the internal range of IPv4, IPv6 and IPv4-in-IPv6 addresses', () => {
    for (const [address, range] of INTERNAL) assert.equal(internalRange(address), range, address);
  });

  it('lets public unicast addresses through, also when mapped into IPv6', () => {
    for (const address of PUBLIC) assert.equal(internalRange(address), null, address);
  });

  it('refuses what is not an IP address', () => {
    for (const text of ['localhost', '', '2130706433', '0x7f.1', '1.2.3', '::g']) assert.equal(internalRange(text), 'invalid', text);
  });

  it('reads numeric host forms the way WHATWG URL does: as the dotted address they stand for', () => {
    const hosts: [string, string][] = [
      ['http://2130706433:8080/', '127.0.0.1'],
      ['http://0x7f.1/', '127.0.0.1'],
      ['http://017700000001/', '127.0.0.1'],
      ['http://0177.0.0.1/', '127.0.0.1'],
      ['http://127.1/', '127.0.0.1'],
      ['http://0/', '0.0.0.0'],
      ['http://[::ffff:127.0.0.1]/', '[::ffff:7f00:1]'],
      ['http://[0:0:0:0:0:0:0:1]/', '[::1]'],
    ];
    for (const [url, hostname] of hosts) {
      assert.equal(new URL(url).hostname, hostname, url);
      assert.notEqual(internalRange(new URL(url).hostname), null, url);
    }
  });

  it('refuses every internal address by default; allowed networks open exactly their ranges', () => {
    const strict = new OutboundPolicy(undefined);
    for (const [address, range] of INTERNAL) assert.equal(strict.refusal(address), range, address);
    for (const address of PUBLIC) assert.equal(strict.refusal(address), null, address);

    const loopback = new OutboundPolicy('127.0.0.0/8, ::1/128');
    assert.equal(loopback.refusal('127.0.0.1'), null);
    assert.equal(loopback.refusal('127.9.9.9'), null);
    assert.equal(loopback.refusal('::1'), null);
    assert.equal(loopback.refusal('::ffff:127.0.0.1'), null, 'an IPv4 network also allows its IPv4-mapped form');
    assert.equal(loopback.refusal('10.0.0.1'), 'private');
    assert.equal(loopback.refusal('0.0.0.0'), 'unspecified');
    assert.equal(loopback.refusal('169.254.169.254'), 'linkLocal');

    const office = new OutboundPolicy('10.20.0.0/16,fd00:1::/64,192.168.5.7');
    assert.equal(office.refusal('10.20.3.4'), null);
    assert.equal(office.refusal('10.21.0.1'), 'private');
    assert.equal(office.refusal('fd00:1::99'), null);
    assert.equal(office.refusal('fd00:2::1'), 'uniqueLocal');
    assert.equal(office.refusal('192.168.5.7'), null);
    assert.equal(office.refusal('192.168.5.8'), 'private');
    assert.equal(office.refusal('127.0.0.1'), 'loopback');
  });

  it('checks every address a name resolves to, through the lookup hook and at save time', async () => {
    const strict = new OutboundPolicy(undefined);
    const looked = await new Promise<{ error: NodeJS.ErrnoException | null }>((resolve) =>
      strict.lookup('localhost', { all: true }, (error) => resolve({ error })),
    );
    assert.equal(looked.error?.code, 'FERRY_ADDRESS_NOT_ALLOWED');
    assert.match(looked.error!.message, /localhost \((127\.0\.0\.1|::1)\) is a loopback address/);
    await assert.rejects(strict.assertHost('localhost'), /loopback/);
    await assert.rejects(strict.assertHost('[::1]'), /loopback/);
    await assert.rejects(strict.assertHost('0.0.0.0'), /unspecified/);
    // A name that does not resolve is left to the connection-time check.
    await strict.assertHost('does-not-exist.invalid');

    const allowed = new OutboundPolicy('127.0.0.0/8,::1/128');
    const ok = await new Promise<{ error: Error | null; address: unknown }>((resolve) =>
      allowed.lookup('localhost', {}, (error, address) => resolve({ error, address })),
    );
    assert.equal(ok.error, null);
    assert.match(String(ok.address), /^(127\.0\.0\.1|::1)$/);
  });
});
