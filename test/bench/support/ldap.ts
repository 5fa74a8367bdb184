import { Client } from 'ldapts';
import type { Slapd } from '../../support/slapd';
import { startSlapd } from '../../support/slapd';
import { inParallel, now } from './measure';

/** The LDAP target configuration every LDAP benchmark uses (as the LDAP tests do). */
export function ldapTargetConfig(slapd: Slapd): Record<string, unknown> {
  return {
    url: slapd.url,
    bindDn: slapd.bindDn,
    bindPassword: slapd.bindPassword,
    peopleBaseDn: slapd.peopleDn,
    groupBaseDn: slapd.groupsDn,
    personObjectClasses: { eduPerson: true, eduMember: true, voPerson: true },
    groupObjectClasses: { groupOfNames: true, eduMember: true },
  };
}

export interface DirectoryEntry {
  dn: string;
  attributes: Record<string, string[]>;
}

export async function boundClient(slapd: Slapd): Promise<Client> {
  const client = new Client({ url: slapd.url, timeout: 60000, connectTimeout: 5000 });
  await client.bind(slapd.bindDn, slapd.bindPassword);
  return client;
}

/** How many entries sit directly under `baseDn`. */
export async function countEntries(slapd: Slapd, baseDn: string): Promise<number> {
  const client = await boundClient(slapd);
  try {
    const { searchEntries } = await client.search(baseDn, { scope: 'one', attributes: ['1.1'], paged: { pageSize: 2000 } });
    return searchEntries.length;
  } finally {
    await client.unbind();
  }
}

/** Every entry directly under `baseDn`, with all user attributes, in the order slapd returns them. */
export async function readEntries(slapd: Slapd, baseDn: string): Promise<DirectoryEntry[]> {
  const client = await boundClient(slapd);
  try {
    const { searchEntries } = await client.search(baseDn, { scope: 'one', attributes: ['*'], paged: { pageSize: 1000 } });
    return searchEntries.map(({ dn, ...rest }) => {
      const attributes: Record<string, string[]> = {};
      for (const [name, value] of Object.entries(rest)) {
        const values = Array.isArray(value) ? value : [value];
        // ldapts echoes the requested "*" back as an attribute without values.
        if (values.length === 0) continue;
        attributes[name] = values.map((item) => (Buffer.isBuffer(item) ? item.toString('utf8') : String(item)));
      }
      return { dn, attributes };
    });
  } finally {
    await client.unbind();
  }
}

export interface BaselineRun {
  concurrency: number;
  seconds: number;
  entriesPerSecond: number;
}

/**
 * The plain-ldapts baseline: the same final entries written into an empty slapd by `concurrency`
 * connections, each adding the next entry as soon as its previous add returned; people first,
 * then groups (as Ferry does). Every run gets its own fresh slapd.
 */
export async function addEntriesBaseline(people: DirectoryEntry[], groups: DirectoryEntry[], concurrency: number): Promise<BaselineRun> {
  const slapd = await startSlapd();
  const clients: Client[] = [];
  try {
    for (let index = 0; index < concurrency; index++) clients.push(await boundClient(slapd));
    const started = now();
    for (const phase of [people, groups]) {
      await inParallel(phase, concurrency, (entry, worker) => clients[worker].add(entry.dn, entry.attributes));
    }
    const seconds = (now() - started) / 1000;
    const written = (await countEntries(slapd, slapd.peopleDn)) + (await countEntries(slapd, slapd.groupsDn));
    if (written !== people.length + groups.length) throw new Error(`baseline wrote ${written} entries, expected ${people.length + groups.length}`);
    return { concurrency, seconds, entriesPerSecond: written / seconds };
  } finally {
    await Promise.all(clients.map((client) => client.unbind().catch(() => undefined)));
    await slapd.dispose();
  }
}

/** The baseline at several concurrencies; the best one is the figure to beat. */
export async function bestAddBaseline(people: DirectoryEntry[], groups: DirectoryEntry[], levels = [1, 2, 4, 8, 16, 32]): Promise<{ best: BaselineRun; runs: BaselineRun[] }> {
  const runs: BaselineRun[] = [];
  for (const concurrency of levels) runs.push(await addEntriesBaseline(people, groups, concurrency));
  const best = runs.reduce((a, b) => (b.entriesPerSecond > a.entriesPerSecond ? b : a));
  return { best, runs };
}
