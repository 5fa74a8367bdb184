import { memberValue, type DesiredResource, type ScimObject, type ScimValue } from './mapping';

export const PATCH_OP_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

export interface PatchOperation {
  op: 'add' | 'remove' | 'replace';
  path: string;
  value?: ScimValue;
}

export function patchRequest(operations: PatchOperation[]): { schemas: string[]; Operations: PatchOperation[] } {
  return { schemas: [PATCH_OP_SCHEMA], Operations: operations };
}

function isEmpty(value: ScimValue | undefined): boolean {
  if (value === undefined || value === null || value === '') return true;
  if (Array.isArray(value)) return value.length === 0;
  if (typeof value === 'object') return Object.values(value).every(isEmpty);
  return false;
}

/**
 * Whether the server's value already says what Ferry wants. Servers add sub-attributes of their own
 * (display, $ref, primary: false) and reorder multi-valued attributes, so only what Ferry sends is
 * compared, and multi-valued attributes as sets.
 */
export function covers(current: ScimValue | undefined, desired: ScimValue): boolean {
  if (Array.isArray(desired)) {
    if (!Array.isArray(current) || current.length !== desired.length) return false;
    return desired.every((wanted) => current.some((held) => covers(held, wanted)));
  }
  if (desired !== null && typeof desired === 'object') {
    if (current === null || current === undefined || typeof current !== 'object' || Array.isArray(current)) return false;
    return Object.entries(desired).every(([key, wanted]) => covers(current[key], wanted));
  }
  return current === desired;
}

/** The PATCH operations that bring the managed attributes of `current` to `desired`. */
export function attributeOperations(current: ScimObject, desired: DesiredResource): PatchOperation[] {
  const operations: PatchOperation[] = [];
  for (const path of desired.managed) {
    const wanted = desired.values[path];
    if (wanted === undefined) {
      // Only what the server holds is removed: a remove of an absent attribute is an error on some servers.
      if (!isEmpty(current[path])) operations.push({ op: 'remove', path });
    } else if (!covers(current[path], wanted)) {
      operations.push({ op: 'replace', path, value: wanted });
    }
  }
  return operations;
}

/** Attributes a PUT must not send back: the server assigns them. */
const SERVER_ASSIGNED = new Set(['id', 'meta', 'groups']);

/**
 * The full resource for a PUT: what the server holds (attributes Ferry does not manage survive),
 * with Ferry's attributes set or removed. Null `current` is a create.
 */
export function replacement(current: ScimObject | null, desired: DesiredResource, extra: ScimObject = {}): ScimObject {
  const body: ScimObject = {};
  for (const [key, value] of Object.entries(current ?? {})) {
    if (!SERVER_ASSIGNED.has(key)) body[key] = value;
  }
  for (const path of desired.managed) delete body[path];
  const held = Array.isArray(body.schemas) ? body.schemas.filter((schema): schema is string => typeof schema === 'string') : [];
  return { ...body, ...desired.values, ...extra, schemas: [...new Set([...desired.schemas, ...held])] };
}

/** A SCIM filter string literal: JSON string syntax (RFC 7644 3.4.2.2). */
export function filterLiteral(value: string): string {
  return JSON.stringify(value);
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const result: T[][] = [];
  for (let start = 0; start < items.length; start += size) result.push(items.slice(start, start + size));
  return result;
}

/**
 * Membership changes as PATCH requests of at most `chunkSize` member values each: removals first
 * (one `members[value eq "..."]` operation per member, the form of RFC 7644 3.5.2.2 every server
 * understands), then additions (one `add` of up to `chunkSize` values). The member list is never
 * replaced as a whole.
 */
export function membershipBatches(toRemove: readonly string[], toAdd: readonly string[], chunkSize: number): PatchOperation[][] {
  type Change = { kind: 'remove' | 'add'; id: string };
  const changes: Change[] = [...toRemove.map((id) => ({ kind: 'remove' as const, id })), ...toAdd.map((id) => ({ kind: 'add' as const, id }))];
  return chunks(changes, chunkSize).map((batch) => {
    const operations: PatchOperation[] = batch
      .filter((change) => change.kind === 'remove')
      .map((change) => ({ op: 'remove', path: `members[value eq ${filterLiteral(change.id)}]` }));
    const added = batch.filter((change) => change.kind === 'add').map((change) => memberValue(change.id));
    if (added.length > 0) operations.push({ op: 'add', path: 'members', value: added });
    return operations;
  });
}
