import { execFile } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client, type Entry, type Filter } from 'ldapts';
import { freePort } from '../../src/db/scratch-database';

const run = promisify(execFile);

const SLAPD = '/usr/sbin/slapd';
const SYSTEM_SCHEMA_DIR = '/etc/ldap/schema';
const SYSTEM_SCHEMAS = ['core', 'cosine', 'inetorgperson', 'nis'];
/** The project's own schema files (eduPerson, eduMember, voPerson, openssh-lpk). */
const PROJECT_SCHEMAS = ['eduperson', 'edumember', 'voperson', 'openssh-lpk'];

/** An entry read back from slapd, with attribute names in lower case and values always arrays. */
export class LdapEntry {
  readonly attributes: ReadonlyMap<string, string[]>;

  constructor(
    readonly dn: string,
    attributes: Map<string, string[]>,
  ) {
    this.attributes = attributes;
  }

  static from(entry: Entry): LdapEntry {
    const attributes = new Map<string, string[]>();
    for (const [name, value] of Object.entries(entry)) {
      if (name === 'dn') continue;
      const values = Array.isArray(value) ? value : [value];
      attributes.set(
        name.toLowerCase(),
        values.map((item) => (Buffer.isBuffer(item) ? item.toString('utf8') : String(item))),
      );
    }
    return new LdapEntry(entry.dn, attributes);
  }

  get(name: string): string[] {
    return this.attributes.get(name.toLowerCase()) ?? [];
  }

  /** The values sorted, for order-insensitive comparisons. */
  sorted(name: string): string[] {
    return [...this.get(name)].sort();
  }

  has(name: string): boolean {
    return this.attributes.has(name.toLowerCase());
  }

  objectClasses(): string[] {
    return this.get('objectClass')
      .map((objectClass) => objectClass.toLowerCase())
      .sort();
  }
}

export interface Slapd {
  url: string;
  port: number;
  bindDn: string;
  bindPassword: string;
  suffix: string;
  peopleDn: string;
  groupsDn: string;
  /** The default password policy entry when started with `ppolicy`, else null. */
  passwordPolicyDn: string | null;
  /** A client bound as the root DN, shared by the helpers (reconnects after a restart); do not unbind it. */
  client(): Client;
  /**
   * The entry at `dn`, or null when there is none. User attributes only (`*`), unless
   * `attributes` lists others (operational ones such as pwdAccountLockedTime must be named).
   */
  entry(dn: string, options?: { attributes?: string[] }): Promise<LdapEntry | null>;
  search(baseDn: string, options?: { filter?: Filter | string; scope?: 'base' | 'one' | 'sub'; attributes?: string[] }): Promise<LdapEntry[]>;
  /** The DNs directly under `baseDn`, as slapd spells them. */
  childDns(baseDn: string): Promise<string[]>;
  /**
   * A branch of the directory of its own, `ou=<ou>` under the suffix with `ou=people` and
   * `ou=groups` below it, so that tests sharing this slapd cannot see each other's entries.
   */
  branch(ou: string): Promise<{ base: string; people: string; groups: string }>;
  /** Stops the server and keeps its data folder, so that `restart()` brings it back. */
  stop(): Promise<void>;
  /** Starts the server again on the same port with the same data. */
  restart(): Promise<void>;
  /** Stops the server (if running) and deletes its folder. */
  dispose(): Promise<void>;
  readonly running: boolean;
}

// ---------------------------------------------------------------------------------------------
// Installation

let installing: Promise<void> | null = null;

async function ensureSlapdInstalled(): Promise<void> {
  if (existsSync(SLAPD)) return;
  if (process.getuid?.() !== 0) {
    throw new Error('slapd is not installed: install the Debian packages slapd and ldap-utils (apt-get install slapd ldap-utils) to run the LDAP tests');
  }
  installing ??= (async () => {
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    const install = () =>
      run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', '-o', 'DPkg::Lock::Timeout=180', 'slapd', 'ldap-utils'], {
        env,
        maxBuffer: 16 * 1024 * 1024,
      });
    try {
      await install();
    } catch {
      await run('apt-get', ['update', '-qq'], { env, maxBuffer: 16 * 1024 * 1024 });
      await install();
    }
    if (!existsSync(SLAPD)) throw new Error(`apt-get installed slapd but ${SLAPD} is still missing`);
  })();
  await installing;
}

function projectSchemaDir(): string {
  // Compiled tests run from dist/test/support; the schema files stay in the source tree.
  let dir = __dirname;
  while (!existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('cannot find the project root (package.json) above ' + __dirname);
    dir = parent;
  }
  return path.join(dir, 'test', 'support', 'ldap-schema');
}

// ---------------------------------------------------------------------------------------------
// Process handling: every slapd started here is stopped when the test process ends.

const livePids = new Set<number>();
const liveFolders = new Set<string>();
let exitHooksInstalled = false;

/** A daemonized slapd is reparented to init, which may reap it late: a zombie counts as gone. */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
}

function killEverything(): void {
  for (const pid of livePids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  livePids.clear();
  for (const folder of liveFolders) rmSync(folder, { recursive: true, force: true });
  liveFolders.clear();
}

function installExitHooks(): void {
  if (exitHooksInstalled) return;
  exitHooksInstalled = true;
  process.on('exit', killEverything);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      killEverything();
      process.kill(process.pid, signal);
    });
  }
}

async function waitFor(what: string, timeoutMs: number, check: () => Promise<boolean> | boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

function portAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function rootDseAnswers(url: string): Promise<boolean> {
  const client = new Client({ url, timeout: 1000, connectTimeout: 1000 });
  try {
    const { searchEntries } = await client.search('', { scope: 'base', attributes: ['namingContexts'] });
    return searchEntries.length === 1;
  } catch {
    return false;
  } finally {
    await client.unbind().catch(() => undefined);
  }
}

// ---------------------------------------------------------------------------------------------

export interface SlapdOptions {
  suffix?: string;
  /**
   * Loads the ppolicy overlay (its schema, pwdAccountLockedTime among it, comes with the module in
   * OpenLDAP 2.5+) with a default policy that enforces lockouts (`pwdLockout: TRUE`), so a locked
   * entry cannot bind. Off by default: the other tests do not need it.
   */
  ppolicy?: boolean;
}

/**
 * A real OpenLDAP slapd on a free loopback port, as a plain process with its own temporary folder
 * (configuration, mdb database, pid file), loaded with the schemas the LDAP plugin writes to, and
 * with the base entries (the suffix, ou=people, ou=groups) in place.
 */
export async function startSlapd(options: SlapdOptions = {}): Promise<Slapd> {
  await ensureSlapdInstalled();
  installExitHooks();
  const suffix = options.suffix ?? 'dc=ferry,dc=test';
  const bindDn = `cn=admin,${suffix}`;
  const bindPassword = 'ferry-test-secret';
  const folder = await mkdtemp(path.join(os.tmpdir(), 'ferry-slapd-'));
  liveFolders.add(folder);
  const dataDir = path.join(folder, 'data');
  const pidFile = path.join(folder, 'slapd.pid');
  const configFile = path.join(folder, 'slapd.conf');
  await mkdir(dataDir);
  const schemaDir = projectSchemaDir();
  const passwordPolicyDn = options.ppolicy ? `cn=default,ou=policies,${suffix}` : null;
  await writeFile(
    configFile,
    [
      ...SYSTEM_SCHEMAS.map((schema) => `include ${path.join(SYSTEM_SCHEMA_DIR, `${schema}.schema`)}`),
      ...PROJECT_SCHEMAS.map((schema) => `include ${path.join(schemaDir, `${schema}.schema`)}`),
      `pidfile ${pidFile}`,
      `argsfile ${path.join(folder, 'slapd.args')}`,
      'loglevel 0',
      'modulepath /usr/lib/ldap',
      'moduleload back_mdb',
      ...(options.ppolicy ? ['moduleload ppolicy'] : []),
      'database mdb',
      'maxsize 268435456',
      `suffix "${suffix}"`,
      `rootdn "${bindDn}"`,
      `rootpw ${bindPassword}`,
      `directory ${dataDir}`,
      'dbnosync',
      ...(passwordPolicyDn ? ['overlay ppolicy', `ppolicy_default "${passwordPolicyDn}"`] : []),
      '',
    ].join('\n'),
  );

  let port = 0;
  let pid: number | null = null;

  const launch = async (): Promise<void> => {
    await rm(pidFile, { force: true });
    let output = '';
    try {
      const result = await run(SLAPD, ['-f', configFile, '-h', `ldap://127.0.0.1:${port}/`]);
      output = `${result.stdout}${result.stderr}`;
    } catch (error) {
      const failure = error as { stderr?: string; message: string };
      throw new Error(`slapd did not start: ${failure.stderr || failure.message}`);
    }
    // slapd daemonizes and exits 0 even when it cannot listen: the pid file and the port tell.
    try {
      await waitFor('the slapd pid file', 3000, () => existsSync(pidFile));
      pid = Number((await readFile(pidFile, 'utf8')).trim());
      livePids.add(pid);
      await waitFor(`slapd to listen on port ${port}`, 3000, () => isAlive(pid!) && portAnswers(port));
      await waitFor('the root DSE', 5000, () => rootDseAnswers(`ldap://127.0.0.1:${port}`));
    } catch (error) {
      await halt();
      throw new Error(`slapd did not come up on port ${port}: ${(error as Error).message}${output ? ` (${output.trim()})` : ''}`);
    }
  };

  const halt = async (): Promise<void> => {
    const running = pid;
    if (running === null) return;
    pid = null;
    if (isAlive(running)) {
      process.kill(running, 'SIGTERM');
      try {
        await waitFor(`slapd ${running} to exit`, 5000, () => !isAlive(running));
      } catch {
        process.kill(running, 'SIGKILL');
        await waitFor(`slapd ${running} to die`, 2000, () => !isAlive(running));
      }
    }
    livePids.delete(running);
  };

  // A port found free can be taken by someone else before slapd binds it: try a few.
  for (let attempt = 1; ; attempt++) {
    port = await freePort();
    try {
      await launch();
      break;
    } catch (error) {
      if (attempt >= 3) {
        await rm(folder, { recursive: true, force: true });
        liveFolders.delete(folder);
        throw error;
      }
    }
  }

  const url = `ldap://127.0.0.1:${port}`;
  const connect = async () => {
    const client = new Client({ url, timeout: 5000, connectTimeout: 2000 });
    await client.bind(bindDn, bindPassword);
    return client;
  };
  // Replaced on restart: a socket to the previous slapd process can hang instead of failing.
  let admin = await connect();
  const peopleDn = `ou=people,${suffix}`;
  const groupsDn = `ou=groups,${suffix}`;
  const suffixValue = suffix.split(',')[0].split('=')[1];
  await admin.add(suffix, { objectClass: ['dcObject', 'organization'], dc: suffixValue, o: 'Ferry test directory' });
  await admin.add(peopleDn, { objectClass: 'organizationalUnit', ou: 'people' });
  await admin.add(groupsDn, { objectClass: 'organizationalUnit', ou: 'groups' });
  if (passwordPolicyDn) {
    // Without a policy with pwdLockout, ppolicy 2.5 ignores pwdAccountLockedTime at bind.
    await admin.add(`ou=policies,${suffix}`, { objectClass: 'organizationalUnit', ou: 'policies' });
    await admin.add(passwordPolicyDn, { objectClass: ['applicationProcess', 'pwdPolicy'], cn: 'default', pwdAttribute: 'userPassword', pwdLockout: 'TRUE' });
  }

  const search = async (baseDn: string, searchOptions: { filter?: Filter | string; scope?: 'base' | 'one' | 'sub'; attributes?: string[] } = {}) => {
    const { searchEntries } = await admin.search(baseDn, {
      scope: searchOptions.scope ?? 'sub',
      filter: searchOptions.filter,
      attributes: searchOptions.attributes ?? ['*'],
    });
    return searchEntries.map((entry) => LdapEntry.from(entry));
  };

  let disposed = false;
  return {
    url,
    port,
    bindDn,
    bindPassword,
    suffix,
    peopleDn,
    groupsDn,
    passwordPolicyDn,
    client: () => admin,
    async entry(dn, entryOptions = {}) {
      try {
        const [entry] = await search(dn, { scope: 'base', attributes: entryOptions.attributes });
        return entry ?? null;
      } catch (error) {
        if ((error as { code?: number }).code === 32) return null;
        throw error;
      }
    },
    search,
    async childDns(baseDn) {
      const { searchEntries } = await admin.search(baseDn, { scope: 'one', attributes: ['1.1'] });
      return searchEntries.map((entry) => entry.dn).sort();
    },
    async branch(ou) {
      const base = `ou=${ou},${suffix}`;
      await admin.add(base, { objectClass: ['organizationalUnit'], ou });
      await admin.add(`ou=people,${base}`, { objectClass: ['organizationalUnit'], ou: 'people' });
      await admin.add(`ou=groups,${base}`, { objectClass: ['organizationalUnit'], ou: 'groups' });
      return { base, people: `ou=people,${base}`, groups: `ou=groups,${base}` };
    },
    async stop() {
      await halt();
    },
    async restart() {
      if (disposed) throw new Error('this slapd was disposed');
      await halt();
      await launch();
      const previous = admin;
      admin = await connect();
      void previous.unbind().catch(() => undefined);
    },
    async dispose() {
      if (disposed) return;
      disposed = true;
      await admin.unbind().catch(() => undefined);
      await halt();
      await rm(folder, { recursive: true, force: true });
      liveFolders.delete(folder);
    },
    get running() {
      return pid !== null && isAlive(pid);
    },
  };
}

