import { SubjectType } from '../../provisioning/actions';
import { PermanentProvisioningError, TransientProvisioningError, type PendingClaim, type ProvisionRequest, type TargetContext } from '../plugin';
import type { DesiredEntry } from './attributes';
import type { LdapConfig } from './config';
import type { EntryName } from './dn';
import { ENTRY_ALREADY_EXISTS, resultCode } from './errors';
import type { Directory, EntryIdentity } from './directory';

/**
 * How far the directory's clock may be behind the database's when an entry created after a claim
 * is recognised by its createTimestamp.
 */
export const CLOCK_SKEW_MS = 120_000;

/** The directory compares DNs without case (and ignores spaces around separators). */
export const sameDn = (a: string, b: string): boolean => normaliseDn(a) === normaliseDn(b);
const normaliseDn = (dn: string): string => dn.replace(/\s*([,=+])\s*/g, '$1').toLowerCase();

/** The entry Ferry wrote for the subject, where it is now. */
export interface OwnedEntry {
  dn: string;
  /** Its entryUUID; null only on a directory that has none. */
  uuid: string | null;
  /** Found through the claim of a create that an interruption left unsettled. */
  recovered: boolean;
}

/**
 * The ownership rule (README, "The LDAP target"): an entry is the one Ferry wrote for a subject on
 * a target when
 *  1. its entryUUID is the one Ferry recorded for that subject when it created the entry (wherever
 *     the entry has been renamed to since, within the base DN), or
 *  2. Ferry claimed its DN for the subject before sending the add, the attempt never settled (the
 *     process died, or the call timed out), and the entry there was created by Ferry's bind DN no
 *     earlier than the claim (allowing CLOCK_SKEW_MS) and is held by no other subject, or
 *  3. it sits at the DN Ferry recorded for the subject before it recorded entryUUIDs (legacy rows;
 *     the entryUUID is recorded on the next write).
 * Anything else is not Ferry's: never modified, renamed or deleted, unless the target has
 * adoptExistingEntries, and even then never an entry another subject of the target holds.
 * Writes to an owned entry carry its entryUUID in an Assertion control, so a swap between the
 * check and the write is refused by the directory itself.
 */
export class Ownership {
  constructor(
    private readonly ctx: TargetContext<LdapConfig>,
    private readonly directory: Directory,
    private readonly request: ProvisionRequest,
    private readonly subjectType: SubjectType,
    /** Where Ferry's entries of this kind live: the people or group base DN. */
    private readonly baseDn: string,
  ) {}

  private get kind(): string {
    return this.subjectType === SubjectType.PERSON ? 'person' : 'group';
  }

  /** Where the entry Ferry wrote for this subject is now, or null when there is none. Reads only. */
  async find(): Promise<OwnedEntry | null> {
    const { remoteId, remoteKey } = this.request;
    if (remoteId && remoteKey) {
      const here = await this.directory.identify(remoteId);
      if (here && here.uuid === remoteKey) return { dn: here.dn, uuid: remoteKey, recovered: false };
      // Renamed since (by an attempt whose result was lost, or by hand): it is still Ferry's.
      const moved = await this.directory.findByUuid(this.baseDn, remoteKey);
      if (moved) return { dn: moved, uuid: remoteKey, recovered: false };
    } else if (remoteId) {
      const here = await this.directory.identify(remoteId);
      if (here) return { dn: here.dn, uuid: here.uuid, recovered: false };
    }
    const claim = this.request.pendingClaim;
    if (claim) {
      const there = await this.directory.identify(claim.remoteId);
      if (there && (await this.createdUnderClaim(there, claim))) return { dn: there.dn, uuid: there.uuid, recovered: true };
    }
    return null;
  }

  /** Rule 2: the entry at a claimed DN is the one the unsettled attempt created. */
  private async createdUnderClaim(there: EntryIdentity, claim: PendingClaim): Promise<boolean> {
    if (there.uuid && !(await this.heldByNobodyElse(there.uuid))) return false;
    if (there.creatorsName && !sameDn(there.creatorsName, this.ctx.config.bindDn)) return false;
    if (there.createTimestamp && there.createTimestamp.getTime() < claim.since.getTime() - CLOCK_SKEW_MS) return false;
    return true;
  }

  private async heldByNobodyElse(uuid: string): Promise<boolean> {
    const holder = await this.ctx.remoteIds.holderOfKey(this.subjectType, uuid);
    return holder === null || holder === this.request.subject.id;
  }

  /**
   * Creates the entry at its DN, claiming the DN first. An entry already there is not Ferry's for
   * this subject: left alone with a failure, or taken over under adoptExistingEntries.
   */
  async create(entry: DesiredEntry): Promise<{ uuid: string | null; detail: string }> {
    await this.request.claim?.(entry.name.dn);
    try {
      return { uuid: await this.directory.add(entry), detail: `added ${entry.name.dn}` };
    } catch (error) {
      if (resultCode((error as Error).cause) !== ENTRY_ALREADY_EXISTS) throw error;
      if (!this.ctx.config.adoptExistingEntries) throw this.notOurs(entry.name.dn, error);
      return this.adopt(entry, error);
    }
  }

  private async adopt(entry: DesiredEntry, cause: unknown): Promise<{ uuid: string | null; detail: string }> {
    const there = await this.directory.identify(entry.name.dn);
    if (!there) throw new TransientProvisioningError(`${entry.name.dn} changed while Ferry was adding it; the next attempt tries again`, { cause });
    if (there.uuid && !(await this.heldByNobodyElse(there.uuid))) {
      throw new PermanentProvisioningError(
        `${entry.name.dn} is the entry of another ${this.kind} on this target (the directory compares names without case): it is left alone`,
        { cause },
      );
    }
    const replaced = await this.directory.replace(entry, there.uuid);
    if (replaced.outcome !== 'done') throw this.changedUnderneath(entry.name.dn);
    return { uuid: replaced.uuid, detail: `adopted ${entry.name.dn} (it already existed; adoptExistingEntries)` };
  }

  /**
   * Brings the owned entry to the desired name and attributes: modrdn when its name changed, then
   * a replace of the managed attributes, both guarded by its entryUUID.
   */
  async update(owned: OwnedEntry, entry: DesiredEntry): Promise<{ uuid: string | null; detail: string }> {
    const steps: string[] = [];
    if (owned.recovered) steps.push(`recovered ${owned.dn}, which Ferry created before an interruption`);
    if (!sameDn(owned.dn, entry.name.dn)) {
      const outcome = await this.directory.rename(owned.dn, entry.name, owned.uuid);
      if (outcome === 'unmovable') {
        // ldapts cannot express this move: delete and add again.
        await this.remove(owned);
        steps.push(`deleted ${owned.dn}`);
        const created = await this.create(entry);
        return { uuid: created.uuid, detail: [...steps, created.detail].join(', ') };
      }
      if (outcome !== 'done') throw this.changedUnderneath(owned.dn);
      steps.push(`renamed ${owned.dn} to ${entry.name.dn}`);
    }
    const replaced = await this.directory.replace(entry, owned.uuid);
    if (replaced.outcome !== 'done') throw this.changedUnderneath(entry.name.dn);
    steps.push(`modified ${entry.name.dn}`);
    return { uuid: replaced.uuid, detail: steps.join(', ') };
  }

  /** Deletes the owned entry (guarded by its entryUUID). */
  async remove(owned: OwnedEntry): Promise<void> {
    const outcome = await this.directory.remove(owned.dn, owned.uuid);
    if (outcome === 'foreign') throw this.changedUnderneath(owned.dn);
  }

  /** Why nothing is deleted for a subject that owns no entry (what sits at its DN is left alone). */
  async nothingOwned(name: EntryName | null): Promise<string> {
    const { remoteId } = this.request;
    const candidate = remoteId ?? name?.dn ?? null;
    const there = candidate ? await this.directory.identify(candidate) : null;
    if (there) return `nothing to delete: ${there.dn} is not the entry Ferry wrote for this ${this.kind}, so it is left alone`;
    if (candidate) return `nothing to delete: ${candidate} does not exist`;
    return `nothing to delete: the ${this.kind} was never provisioned to this target`;
  }

  private notOurs(dn: string, cause: unknown): PermanentProvisioningError {
    return new PermanentProvisioningError(
      `${dn} already exists and is not the entry Ferry wrote for this ${this.kind} (the directory compares names without case): ` +
        'it is left alone; set adoptExistingEntries on the target to take such entries over',
      { cause },
    );
  }

  private changedUnderneath(dn: string): TransientProvisioningError {
    return new TransientProvisioningError(
      `${dn} changed while Ferry was writing it (renamed, deleted or replaced by someone else): nothing was changed there; the next attempt looks again`,
    );
  }
}
