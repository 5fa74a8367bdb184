import type { z } from 'zod';
import type { Logger } from '../observability/logger';
import type { ProvisioningAction, SubjectType } from '../provisioning/actions';
import type { GroupNaming, SubjectPayload } from '../provisioning/payload';
import type { OutboundPolicy } from '../security/outbound-addresses';

/** What a plugin knows about the target it is called for. */
export interface TargetContext<TConfig> {
  targetId: string;
  targetName: string;
  organizationId: string;
  /** The validated configuration, secrets included (decrypted). */
  config: TConfig;
  /**
   * The identifiers this target stored for subjects (e.g. LDAP DNs, SCIM ids), scoped to this
   * target only. Plugins use it to resolve group members and to find the entry to rename/delete.
   */
  remoteIds: RemoteIdLookup;
  logger: Logger;
  /** Where connections to the target may go (FERRY_TARGET_ALLOWED_NETWORKS). Absent: no internal network. */
  outbound?: OutboundPolicy;
  /**
   * The members Ferry last wrote to each group on this target, as recorded from the plugin's own
   * results (`ProvisionResult.members`). Absent where nothing is recorded (previews in tests).
   */
  writtenMembers?: WrittenMembers;
}

/** Ferry's record of the members it wrote to a group on this target (see ProvisionResult.members). */
export interface WrittenMembers {
  /** The member remote ids recorded for the group (empty when none are recorded). */
  of(groupId: string): Promise<string[]>;
}

export interface RemoteIdLookup {
  get(subjectType: SubjectType, subjectId: string): Promise<string | null>;
  getMany(subjectType: SubjectType, subjectIds: string[]): Promise<Map<string, string>>;
  /** The subject of this target whose stored remote key (e.g. entryUUID) is `remoteKey`, if any. */
  holderOfKey(subjectType: SubjectType, remoteKey: string): Promise<string | null>;
}

/** A claim an earlier attempt made and did not settle (see `ProvisionRequest.claim`). */
export interface PendingClaim {
  remoteId: string;
  /** When it was made (the database's clock). */
  since: Date;
}

export interface ProvisionRequest {
  action: ProvisioningAction;
  subject: SubjectPayload;
  /** The identifier this target stored for the subject last time (e.g. its DN), if any. */
  remoteId: string | null;
  /**
   * The permanent identity the target reported for that object (e.g. the LDAP entry's entryUUID),
   * when known: the proof that the object at `remoteId` is the one Ferry wrote.
   */
  remoteKey?: string | null;
  /**
   * An earlier attempt claimed `remoteId` and ended without a result (the process died, or the
   * call timed out): the object there may be the one Ferry created.
   */
  pendingClaim?: PendingClaim | null;
  /**
   * Records durably, before the plugin creates an object at `remoteId`, that it is about to.
   * The claim stays until the call succeeds or fails permanently, so a permanent failure must
   * mean the object was not created. Absent when the caller keeps no claims (tests, previews).
   */
  claim?(remoteId: string): Promise<void>;
}

export interface ProvisionResult {
  /** The subject's identifier on the target now; null when it is not there (deleted / skipped). */
  remoteId: string | null;
  /** A short human-readable account of what was done, e.g. "added uid=ada,ou=people,dc=ex". */
  detail: string;
  /**
   * The permanent identity of the object at `remoteId` (e.g. entryUUID), for targets that have
   * one. Left out: unchanged when `remoteId` is, unknown otherwise.
   */
  remoteKey?: string | null;
  /**
   * Groups: the members (their remote ids) the group's object holds after this call, as the
   * plugin wrote them. Ferry records them for `TargetContext.writtenMembers`, so a later call can
   * work out whom to remove on a target that does not show members when read. Left out: the
   * record stays as it is; a group whose result has no `remoteId` (deleted) loses its record.
   */
  members?: readonly string[];
  /**
   * People: the groups (subject ids) this call added the person's object (`remoteId`) to as a
   * member, e.g. when it had to create the object again under a new id. Recorded like `members`.
   */
  addedToGroups?: readonly string[];
}

/** ProvisionerPlugin.groupNaming for a plugin whose configuration has a `groupNaming` setting ("fullName" unless it says "name"). */
export const groupNamingSetting = (config: Readonly<Record<string, unknown>>): GroupNaming => (config.groupNaming === 'name' ? 'name' : 'fullName');

/**
 * A failure the target will keep giving for the same data (schema violation, rejected value):
 * not retried.
 */
export class PermanentProvisioningError extends Error {
  readonly transient = false;
}

/** A failure that may pass (connection refused, timeout, busy): retried by the queue. */
export class TransientProvisioningError extends Error {
  readonly transient = true;

  /** The target asked to wait this long before trying again (e.g. HTTP 429 Retry-After). */
  readonly retryAfterMs: number | null;

  constructor(message: string, options: { cause?: unknown; retryAfterMs?: number | null } = {}) {
    super(message, { cause: options.cause });
    this.retryAfterMs = options.retryAfterMs ?? null;
  }
}

/**
 * Several subjects of one target in one call (`ProvisionerPlugin.provisionBatch`). The requests are
 * independent of each other (never two for one subject), so they may run in any order or at once.
 */
export interface ProvisionBatch<TConfig> {
  readonly requests: readonly ProvisionRequest[];
  /** How many calls the target takes at once: its `concurrency` setting, or the plugin's default. */
  readonly concurrency: number;
  /**
   * Runs request `index` through the target's circuit breaker and within its time limit: `work`
   * gets the context fenced to that call and the request with its `claim`. Its result is that
   * request's result; what it throws (or the circuit's or time limit's error), its failure.
   */
  call(index: number, work: (target: TargetContext<TConfig>, request: ProvisionRequest) => Promise<ProvisionResult>): Promise<ProvisionResult>;
}

/** What became of one request of a batch. */
export type BatchOutcome = { ok: true; result: ProvisionResult } | { ok: false; error: unknown };

export interface ReadBack {
  exists: boolean;
  detail: string;
  /**
   * What the target holds for the subject, as plain attribute values (e.g. an LDAP entry's
   * attributes, a SCIM resource's members), for drift checks. Plugins that cannot tell leave it out.
   */
  attributes?: Record<string, string[]>;
}

/** What a plugin would write for a subject now, without writing it (preview, reconciliation). */
export interface Rendering {
  /**
   * The object the target should hold: where (DN, resource id when known) and the values a
   * read-back of it is compared with. null when the target should hold nothing for the subject
   * (e.g. a group without members under an "omit empty groups" policy).
   */
  object: { remoteId: string | null; attributes: Record<string, string[]> } | null;
  /** What Ferry would send, for a person to read: the LDAP entry, the SCIM resource, the webhook body. */
  document: unknown;
  detail: string;
}

/** One object a target holds, as listed for reconciliation. */
export interface RemoteObject {
  remoteId: string;
  /** The Ferry subject it belongs to, when the target records it (SCIM externalId, ...); else null. */
  subjectId: string | null;
  /** A name a person recognises (DN, userName, displayName). */
  label: string;
}

/** The one small interface every target plugin implements. */
export interface ProvisionerPlugin<TConfig = unknown> {
  /** Stable plugin name stored on targets, e.g. "ldap". */
  readonly name: string;
  /** Validates and normalises the configuration; defaults are applied here. */
  readonly configSchema: z.ZodType<TConfig, z.ZodTypeDef, unknown>;
  /** Configuration keys that are secrets: write-only through the API, never logged. */
  readonly secretFields: readonly string[];
  /** Configuration keys holding URLs Ferry sends data to: checked against FERRY_TARGET_URL_ALLOWLIST. */
  readonly urlFields?: readonly string[];
  /**
   * Further configuration keys holding URLs Ferry connects to (urlFields are always included):
   * their host may not be an internal address unless FERRY_TARGET_ALLOWED_NETWORKS allows it.
   */
  readonly addressFields?: readonly string[];
  /**
   * How many `provision` calls one target takes at once when the target does not say (its
   * `concurrency` setting). Left out: 1. Calls for one subject never overlap whatever this says.
   */
  readonly defaultConcurrency?: number;
  /**
   * Whether this target provisions email lists (subject type EMAIL_LIST, actions LIST_ADDED,
   * LIST_UPDATED, LIST_DELETED, LIST_REPROVISION_REQUESTED, payload EmailListPayload) with this
   * configuration. Left out, or false: the plugin is never called for a list; the pipeline ends
   * the order SKIPPED with "this target does not provision email lists" (recorded for explicit
   * requests and Reprovision All, silent for automatic changes).
   */
  provisionsEmailLists?(config: TConfig): boolean;
  /**
   * How this target names groups, from its saved configuration (secrets left out): "name" when a
   * group goes by its own name, so groups of one name in different folders would share one
   * object there (the API lists them: ProvisioningTarget.groupNameCollisions). Left out:
   * "fullName", names are unique.
   */
  groupNaming?(config: Readonly<Record<string, unknown>>): GroupNaming;
  provision(target: TargetContext<TConfig>, request: ProvisionRequest): Promise<ProvisionResult>;
  /**
   * Several subjects at once, each through `batch.call` (which keeps the per-call circuit and time
   * limit); one outcome per request, in request order, a failure as `{ ok: false }` (never thrown
   * for one request). Left out: the pipeline calls `provision` for each request,
   * `batch.concurrency` at a time (`provisionEachOf` in src/plugins/batch.ts), so plugins written
   * for single calls keep working.
   */
  provisionBatch?(target: TargetContext<TConfig>, batch: ProvisionBatch<TConfig>): Promise<BatchOutcome[]>;
  /** Reads the subject back from the target (provisioning status, drift checks). */
  readBack(target: TargetContext<TConfig>, subjectType: SubjectType, remoteId: string): Promise<ReadBack>;
  /**
   * Reconciliation support: every object of that type the target holds in Ferry's scope (its
   * base DN, its SCIM endpoint...), page by page. Plugins that cannot list leave it out.
   */
  list?(target: TargetContext<TConfig>, subjectType: SubjectType): AsyncIterable<RemoteObject>;
  /**
   * Preview and reconciliation support: what `provision` would write for this request, computed
   * the same way, without writing anything.
   */
  render?(target: TargetContext<TConfig>, request: ProvisionRequest): Promise<Rendering>;
  /** Reconciliation support: removes an object no subject of the registry accounts for (an orphan). */
  removeRemote?(target: TargetContext<TConfig>, subjectType: SubjectType, remoteId: string): Promise<void>;
  /**
   * "Test connection": reaches the target with this configuration on a connection of its own and
   * reads without writing; resolves with what it found, throws what failed. Plugins that cannot
   * check without sending data (webhooks) leave it out.
   */
  testConnection?(target: TargetContext<TConfig>): Promise<string>;
  /** Releases connections held for the target (called on shutdown and on config change). */
  close?(targetId: string): Promise<void>;
  /** Releases every connection (server shutdown). */
  closeAll?(): Promise<void>;
}
