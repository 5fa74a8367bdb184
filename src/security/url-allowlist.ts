/**
 * Where SCIM and webhook targets may send data (FERRY_TARGET_URL_ALLOWLIST): a list of URL
 * patterns, `scheme://host[:port][/path-prefix]`, where the host may start with `*.` for any
 * subdomain. Empty: every URL is allowed. Keeps a compromised admin token from pointing a target
 * at internal services (SSRF) or at an attacker's server.
 */
export class UrlAllowlist {
  private readonly patterns: { protocol: string; host: string; wildcard: boolean; port: string; path: string }[];

  constructor(readonly source: string | undefined) {
    this.patterns = (source ?? '')
      .split(',')
      .map((entry) => entry.trim())
      .filter(Boolean)
      .map((entry) => {
        const wildcard = /^[a-z]+:\/\/\*\./i.test(entry);
        const url = new URL(wildcard ? entry.replace('*.', 'wildcard.') : entry);
        return {
          protocol: url.protocol,
          host: wildcard ? url.hostname.slice('wildcard.'.length) : url.hostname,
          wildcard,
          port: url.port,
          path: url.pathname === '/' ? '' : url.pathname.replace(/\/$/, ''),
        };
      });
  }

  get enabled(): boolean {
    return this.patterns.length > 0;
  }

  allows(candidate: string): boolean {
    if (!this.enabled) return true;
    let url: URL;
    try {
      url = new URL(candidate);
    } catch {
      return false;
    }
    return this.patterns.some(
      (pattern) =>
        url.protocol === pattern.protocol &&
        (pattern.wildcard ? url.hostname.endsWith(`.${pattern.host}`) : url.hostname === pattern.host) &&
        url.port === pattern.port &&
        (pattern.path === '' || url.pathname === pattern.path || url.pathname.startsWith(`${pattern.path}/`)),
    );
  }
}
