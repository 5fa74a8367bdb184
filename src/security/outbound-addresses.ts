import dns from 'node:dns';
import net from 'node:net';
import ipaddr from 'ipaddr.js';

/** The setting that lets targets reach internal networks. */
export const ALLOWED_NETWORKS_SETTING = 'FERRY_TARGET_ALLOWED_NETWORKS';

/** Error code of a connection refused because of where it would go. */
export const ADDRESS_REFUSED_CODE = 'FERRY_ADDRESS_NOT_ALLOWED';

type Address = ipaddr.IPv4 | ipaddr.IPv6;

/** Ranges ipaddr.js 1.x files under "unicast" or does not know, that are not the public Internet either. */
const EXTRA_RANGES: [string, [Address, number]][] = [
  ['benchmarking', ipaddr.parseCIDR('198.18.0.0/15')],
  ['ipv4Compatible', ipaddr.parseCIDR('::/96')],
  ['discard', ipaddr.parseCIDR('100::/64')],
  ['benchmarking', ipaddr.parseCIDR('2001:2::/48')],
  ['siteLocal', ipaddr.parseCIDR('fec0::/10')],
];

/** IPv6 ranges that carry an IPv4 address in their last 32 bits: judged by that address. */
const EMBEDDING_LAST_32 = new Set(['ipv4Mapped', 'rfc6145', 'rfc6052']);

function inNetwork(address: Address, [network, bits]: [Address, number]): boolean {
  // ipaddr.js compares only addresses of one kind; its types say so by overloads.
  return address.kind() === network.kind() && (address as ipaddr.IPv4).match(network as ipaddr.IPv4, bits);
}

function embeddedV4(address: ipaddr.IPv6, firstPart: number): ipaddr.IPv4 {
  const parts = address.parts;
  return new ipaddr.IPv4([parts[firstPart] >> 8, parts[firstPart] & 0xff, parts[firstPart + 1] >> 8, parts[firstPart + 1] & 0xff]);
}

function parse(address: string): Address | null {
  // Zone ids (fe80::1%eth0) are not part of the address.
  const bare = address.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  if (!net.isIP(bare)) return null;
  try {
    // ipaddr.js 1.x reads a dotted IPv4 tail only after ::ffff:; give it hex groups instead.
    const hexTail = bare.includes(':')
      ? bare.replace(/(\d+)\.(\d+)\.(\d+)\.(\d+)$/, (_all, a, b, c, d) => `${((+a << 8) | +b).toString(16)}:${((+c << 8) | +d).toString(16)}`)
      : bare;
    return ipaddr.parse(hexTail);
  } catch {
    return null;
  }
}

/**
 * The name of the non-public range an IP address is in (loopback, private, linkLocal,
 * carrierGradeNat, uniqueLocal, unspecified, multicast, broadcast, reserved, ...), or null for a
 * public unicast address. IPv6 forms that embed an IPv4 address (IPv4-mapped, NAT64, 6to4) are
 * judged by that IPv4 address; anything that is not an IP address at all counts as "invalid".
 */
export function internalRange(address: string): string | null {
  const parsed = parse(address);
  if (!parsed) return 'invalid';
  return rangeOf(parsed);
}

function rangeOf(address: Address): string | null {
  for (const [name, cidr] of EXTRA_RANGES) {
    if (inNetwork(address, cidr)) {
      // ::/96 also holds :: and ::1, which ipaddr.js names more precisely.
      if (name === 'ipv4Compatible' && address.range() !== 'unicast') return address.range();
      return name;
    }
  }
  const range = address.range();
  if (address.kind() === 'ipv6') {
    const v6 = address as ipaddr.IPv6;
    if (EMBEDDING_LAST_32.has(range)) return rangeOf(embeddedV4(v6, 6));
    if (range === '6to4') return rangeOf(embeddedV4(v6, 1));
  }
  return range === 'unicast' ? null : range;
}

/** A connection was about to go to an address Ferry does not send to. */
export class AddressNotAllowedError extends Error {
  readonly code = ADDRESS_REFUSED_CODE;

  constructor(
    readonly host: string,
    readonly address: string,
    readonly range: string,
  ) {
    const via = host === address ? address : `${host} (${address})`;
    super(`${via} is a ${range} address; targets may not reach internal networks unless ${ALLOWED_NETWORKS_SETTING} allows it`);
  }
}

/**
 * Where targets may connect: public unicast addresses, plus the networks of
 * FERRY_TARGET_ALLOWED_NETWORKS (comma-separated CIDRs). Checked on the resolved address of every
 * connection, through `lookup` (for host names) and `assertAddress` (for IP literals, which
 * node connects to without a lookup).
 */
export class OutboundPolicy {
  private readonly networks: [Address, number][];

  constructor(readonly allowedNetworks: string | undefined = undefined) {
    this.networks = parseNetworks(allowedNetworks);
  }

  /** Why a connection to this IP address is refused, or null when it is allowed. */
  refusal(address: string): string | null {
    const parsed = parse(address);
    if (!parsed) return 'invalid';
    const range = rangeOf(parsed);
    if (range === null) return null;
    const candidates: Address[] = [parsed];
    if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) candidates.push((parsed as ipaddr.IPv6).toIPv4Address());
    const allowed = this.networks.some((network) => candidates.some((candidate) => inNetwork(candidate, network)));
    return allowed ? null : range;
  }

  /** Throws AddressNotAllowedError unless a connection to `address` (an IP) is allowed. */
  assertAddress(address: string, host = address): void {
    const range = this.refusal(address);
    if (range) throw new AddressNotAllowedError(host, address.replace(/^\[|\]$/g, ''), range);
  }

  /**
   * Checks a URL host before anything is saved: an IP literal must be allowed, and so must every
   * address a name resolves to now. A name that does not resolve (yet) passes; connections check again.
   */
  async assertHost(hostname: string, timeoutMs = 5000): Promise<void> {
    const host = hostname.replace(/^\[|\]$/g, '');
    if (net.isIP(host)) return this.assertAddress(host, hostname);
    let timer: NodeJS.Timeout | undefined;
    const addresses = await Promise.race([
      dns.promises.lookup(host, { all: true, verbatim: true }).catch(() => []),
      new Promise<dns.LookupAddress[]>((resolve) => {
        timer = setTimeout(() => resolve([]), timeoutMs);
      }),
    ]).finally(() => clearTimeout(timer));
    for (const { address } of addresses) this.assertAddress(address, host);
  }

  /**
   * A drop-in for dns.lookup in net/tls/http options: resolves, then fails the connection with
   * AddressNotAllowedError when any address the name has is refused.
   */
  readonly lookup: net.LookupFunction = (hostname, options, callback) => {
    dns.lookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, options.all ? [] : '');
      for (const { address } of addresses) {
        const range = this.refusal(address);
        if (range) return callback(new AddressNotAllowedError(hostname, address, range), options.all ? [] : '');
      }
      if (addresses.length === 0) {
        const notFound = Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
        return callback(notFound, options.all ? [] : '');
      }
      if (options.all) return callback(null, addresses);
      return callback(null, addresses[0].address, addresses[0].family);
    });
  };
}

/** Parses FERRY_TARGET_ALLOWED_NETWORKS; throws on an entry that is not a CIDR. */
export function parseNetworks(source: string | undefined): [Address, number][] {
  return (source ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((entry) => {
      const cidr = entry.includes('/') ? entry : `${entry}/${net.isIPv6(entry) ? 128 : 32}`;
      return ipaddr.parseCIDR(cidr);
    });
}

/** Whether the setting parses (for configuration validation). */
export function isNetworkList(source: string): boolean {
  try {
    parseNetworks(source);
    return true;
  } catch {
    return false;
  }
}
