import { ref } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Actor } from '../../auth/actor';
import { badInput } from '../../common/errors';
import { applyDefined } from '../../common/validation';
import { inWriteTransaction, type WriteResult } from '../../db/transaction';
import type { AutomaticGroups } from '../groups/automatic-groups';
import { findReadable, findWritable } from '../records';
import { Cou } from '../organizations/cou.entity';
import { AdHocAttribute } from './ad-hoc-attribute.entity';
import { Address } from './address.entity';
import type { RoleAttribute } from './role-attribute';
import { TelephoneNumber } from './telephone-number.entity';
import { Person } from './person.entity';
import { PersonRole } from './person-role.entity';
import { deleteRecord, newPersonAttribute } from './person-records';
import type { RoleFields } from './people.service';

/** A person's roles (unit, affiliation, validity) and each role's addresses, telephone numbers and ad hoc attributes. */
export class PersonRoleService {
  constructor(private readonly automaticGroups: AutomaticGroups) {}

  // ---- Roles -----------------------------------------------------------------------------------

  /** Unit automatic groups follow the person's roles, so every role change re-syncs them. */
  addRole(actor: Actor, personId: string, fields: RoleFields): Promise<WriteResult<PersonRole>> {
    return inWriteTransaction(actor.em, actor.principal.tokenId, async (em) => {
      const person = await findWritable(em, actor.principal, Person, personId);
      const role = newPersonAttribute(new PersonRole(), person);
      await this.assignRole(actor, em, role, fields);
      em.persist(role);
      await em.flush();
      await this.automaticGroups.syncPerson(em, person);
      return role;
    });
  }

  updateRole(actor: Actor, id: string, fields: RoleFields): Promise<WriteResult<PersonRole>> {
    return inWriteTransaction(actor.em, actor.principal.tokenId, async (em) => {
      const role = await findWritable(em, actor.principal, PersonRole, id);
      await this.assignRole(actor, em, role, fields);
      await em.flush();
      await this.automaticGroups.syncPerson(em, await em.findOneOrFail(Person, role.person.id));
      return role;
    });
  }

  /** The role's addresses, telephone numbers and ad hoc attributes go with it, each logged. */
  deleteRole(actor: Actor, id: string): Promise<WriteResult<string>> {
    return inWriteTransaction(actor.em, actor.principal.tokenId, async (em) => {
      const role = await findWritable(em, actor.principal, PersonRole, id);
      for (const entity of [Address, TelephoneNumber, AdHocAttribute] as const) {
        em.remove(await em.find(entity as new () => RoleAttribute, { role: role.id }));
      }
      em.remove(role);
      await em.flush();
      await this.automaticGroups.syncPerson(em, await em.findOneOrFail(Person, role.person.id));
      return role.id;
    });
  }

  private async assignRole(actor: Actor, em: EntityManager, role: PersonRole, fields: RoleFields): Promise<void> {
    const { couId, ...rest } = fields;
    applyDefined(role, rest);
    if (couId === null) role.cou = null;
    if (couId) {
      const cou = await findReadable(em, actor.principal, Cou, couId, 'Cou');
      if (cou.organization.id !== role.organization.id) {
        throw badInput("The unit belongs to another organisation than the person.", 'couId');
      }
      role.cou = ref(cou);
    }
    if (role.validFrom && role.validThrough && role.validFrom > role.validThrough) {
      throw badInput('validFrom must not be after validThrough.', 'validThrough');
    }
  }

  // ---- Role attributes: addresses, telephone numbers, ad hoc attributes -------------------------

  /** The person and organisation of a role attribute are those of its role. */
  addRoleAttribute<T extends RoleAttribute>(
    actor: Actor,
    entity: new () => T,
    roleId: string,
    fields: object,
  ): Promise<WriteResult<T>> {
    return inWriteTransaction(actor.em, actor.principal.tokenId, async (em) => {
      const role = await findWritable(em, actor.principal, PersonRole, roleId);
      const attribute = applyDefined(new entity(), fields);
      attribute.organization = role.organization;
      attribute.person = role.person;
      attribute.role = ref(role);
      em.persist(attribute);
      return attribute;
    });
  }

  updateRoleAttribute<T extends RoleAttribute>(actor: Actor, entity: new () => T, id: string, fields: object): Promise<WriteResult<T>> {
    return inWriteTransaction(actor.em, actor.principal.tokenId, async (em) =>
      applyDefined(await findWritable(em, actor.principal, entity, id), fields),
    );
  }

  deleteRoleAttribute(actor: Actor, entity: new () => RoleAttribute, id: string): Promise<WriteResult<string>> {
    return deleteRecord(actor, entity, id);
  }
}
