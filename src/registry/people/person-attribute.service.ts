import { ref } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Actor } from '../../auth/actor';
import { badInput } from '../../common/errors';
import { applyDefined } from '../../common/validation';
import { inWriteTransaction, type WriteResult } from '../../db/transaction';
import { findWritable } from '../records';
import { Group } from '../groups/group.entity';
import { Url } from './url.entity';
import { EmailAddress } from './email-address.entity';
import { Identifier } from './identifier.entity';
import { Name } from './name.entity';
import { Person } from './person.entity';
import { assertIdentifiersFree, deleteRecord, newPersonAttribute, stripUndefined } from './person-records';
import type { EmailAddressFields, IdentifierFields, NameFields, UrlFields } from './people.service';

/** What hangs off a person directly: names, email addresses, URLs and identifiers (of a person or a group). */
export class PersonAttributeService {
  // ---- Names ---------------------------------------------------------------------------------

  /** The person's first name becomes primary; `primary: true` moves the flag from the old one. */
  addName(actor: Actor, personId: string, fields: NameFields & { given: string }): Promise<WriteResult<Name>> {
    return inWriteTransaction(actor.em, actor.principal.tokenId, async (em) => {
      const person = await findWritable(em, actor.principal, Person, personId);
      const { primary, ...rest } = fields;
      const current = await em.findOne(Name, { person: person.id, primary: true });
      if (current && primary) await this.clearPrimary(em, current);
      const name = applyDefined(newPersonAttribute(new Name(), person), rest);
      name.primary = !current || primary === true;
      em.persist(name);
      return name;
    });
  }

  updateName(actor: Actor, id: string, fields: NameFields): Promise<WriteResult<Name>> {
    return inWriteTransaction(actor.em, actor.principal.tokenId, async (em) => {
      const name = await findWritable(em, actor.principal, Name, id);
      const { primary, ...rest } = fields;
      if (primary === false && name.primary) {
        throw badInput('A person always has a primary name: make another name primary instead.', 'primary');
      }
      if (primary === true && !name.primary) {
        const current = await em.findOne(Name, { person: name.person.id, primary: true });
        if (current) await this.clearPrimary(em, current);
        name.primary = true;
      }
      return applyDefined(name, rest);
    });
  }

  /** Deleting the primary name hands the flag to the oldest remaining name. */
  deleteName(actor: Actor, id: string): Promise<WriteResult<string>> {
    return inWriteTransaction(actor.em, actor.principal.tokenId, async (em) => {
      const name = await findWritable(em, actor.principal, Name, id);
      em.remove(name);
      await em.flush();
      if (name.primary) {
        const successor = await em.findOne(Name, { person: name.person.id }, { orderBy: { id: 'asc' } });
        if (successor) successor.primary = true;
      }
      return name.id;
    });
  }

  /** Flushed on its own: the partial unique index allows one primary name at every moment. */
  private async clearPrimary(em: EntityManager, name: Name): Promise<void> {
    name.primary = false;
    await em.flush();
  }

  // ---- Email addresses -------------------------------------------------------------------------

  addEmailAddress(actor: Actor, personId: string, fields: EmailAddressFields & { mail: string }): Promise<WriteResult<EmailAddress>> {
    return this.addToPerson(actor, EmailAddress, personId, fields);
  }

  updateEmailAddress(actor: Actor, id: string, fields: EmailAddressFields): Promise<WriteResult<EmailAddress>> {
    return inWriteTransaction(actor.em, actor.principal.tokenId, async (em) => {
      const email = await findWritable(em, actor.principal, EmailAddress, id);
      // A verification proved control of the old address, not of the new one.
      const readdressed = fields.mail !== undefined && fields.mail !== email.mail;
      applyDefined(email, { ...(readdressed ? { verified: false } : {}), ...stripUndefined(fields) });
      return email;
    });
  }

  deleteEmailAddress(actor: Actor, id: string): Promise<WriteResult<string>> {
    return deleteRecord(actor, EmailAddress, id);
  }

  // ---- URLs ------------------------------------------------------------------------------------

  addUrl(actor: Actor, personId: string, fields: UrlFields & { url: string }): Promise<WriteResult<Url>> {
    return this.addToPerson(actor, Url, personId, fields);
  }

  updateUrl(actor: Actor, id: string, fields: UrlFields): Promise<WriteResult<Url>> {
    return inWriteTransaction(actor.em, actor.principal.tokenId, async (em) =>
      applyDefined(await findWritable(em, actor.principal, Url, id), fields),
    );
  }

  deleteUrl(actor: Actor, id: string): Promise<WriteResult<string>> {
    return deleteRecord(actor, Url, id);
  }

  // ---- Identifiers -----------------------------------------------------------------------------

  /** An identifier belongs to exactly one person or one group of the organisation. */
  addIdentifier(
    actor: Actor,
    owner: { personId?: string | null; groupId?: string | null },
    fields: IdentifierFields & { type: string; value: string },
  ): Promise<WriteResult<Identifier>> {
    if (Boolean(owner.personId) === Boolean(owner.groupId)) {
      throw badInput('Give exactly one of personId and groupId: an identifier belongs to one person or one group.', 'personId');
    }
    return inWriteTransaction(actor.em, actor.principal.tokenId, async (em) => {
      const identifier = applyDefined(new Identifier(), fields);
      if (owner.personId) {
        const person = await findWritable(em, actor.principal, Person, owner.personId);
        identifier.organization = person.organization;
        identifier.person = ref(person);
      } else {
        const group = await findWritable(em, actor.principal, Group, owner.groupId!);
        identifier.organization = group.organization;
        identifier.group = ref(group);
      }
      await assertIdentifiersFree(em, identifier.organization.id, [identifier]);
      em.persist(identifier);
      return identifier;
    });
  }

  /** Reactivating an identifier whose type and value another active identifier took is a conflict too. */
  updateIdentifier(actor: Actor, id: string, fields: IdentifierFields): Promise<WriteResult<Identifier>> {
    return inWriteTransaction(actor.em, actor.principal.tokenId, async (em) => {
      const identifier = await findWritable(em, actor.principal, Identifier, id);
      applyDefined(identifier, fields);
      await assertIdentifiersFree(em, identifier.organization.id, [identifier]);
      return identifier;
    });
  }

  deleteIdentifier(actor: Actor, id: string): Promise<WriteResult<string>> {
    return deleteRecord(actor, Identifier, id);
  }

  /** A new record of the person with the given fields, in its own transaction. */
  private addToPerson<T extends EmailAddress | Url>(actor: Actor, entity: new () => T, personId: string, fields: object): Promise<WriteResult<T>> {
    return inWriteTransaction(actor.em, actor.principal.tokenId, async (em) => {
      const person = await findWritable(em, actor.principal, Person, personId);
      const record = applyDefined(newPersonAttribute(new entity(), person), fields);
      em.persist(record);
      return record;
    });
  }
}
