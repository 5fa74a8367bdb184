import type { Client } from 'ldapts';
import { inChildSpan } from '../../observability/spans';

const TRACED = new Set(['add', 'modify', 'del', 'modifyDN', 'search', 'compare']);

/**
 * The client with a span around each directory operation (`ldap.add`, `ldap.modify`, ...: the DN,
 * the server), for traces: ldapts has no OpenTelemetry instrumentation of its own. No-op without
 * a trace under way.
 */
export function tracedClient(client: Client, url: string): Client {
  return new Proxy(client, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function' || typeof property !== 'string' || !TRACED.has(property)) return value;
      return (...args: unknown[]) =>
        inChildSpan(`ldap.${property}`, { 'db.system': 'ldap', 'server.address': url, 'ldap.dn': String(args[0]) }, () =>
          (value as (...a: unknown[]) => Promise<unknown>).apply(target, args),
        );
    },
  });
}
