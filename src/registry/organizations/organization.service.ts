import { ref } from '@mikro-orm/core';
import type { Actor } from '../../auth/actor';
import { badInput, conflict } from '../../common/errors';
import { Department } from '../departments/department.entity';
import { PersonRole } from '../people/person-role.entity';
import { TermsAgreement } from '../terms/terms-agreement.entity';
import { TermsAndConditions } from '../terms/terms-and-conditions.entity';
import { paginate, type Page, type PageArgs } from '../../common/pagination';
import { applyDefined } from '../../common/validation';
import { inWriteTransaction, type WriteResult } from '../../db/transaction';
import type { AutomaticGroups } from '../groups/automatic-groups';
import { findReadable, findReadableOrganization, findWritable, findWritableOrganization } from '../records';
import { RecordStatus } from '../enums';
import { Cou } from './cou.entity';
import { Organization } from './organization.entity';

export interface OrganizationInput {
  name?: string;
  description?: string | null;
  status?: RecordStatus;
}

export interface CouInput {
  name?: string;
  description?: string | null;
  parentId?: string | null;
}

export class OrganizationService {
  constructor(private readonly automaticGroups: AutomaticGroups) {}

  list(actor: Actor, page: PageArgs): Promise<Page<Organization>> {
    const { principal } = actor;
    const where = principal.isPlatformAdmin ? {} : { id: principal.organizationId ?? undefined };
    return paginate(actor.em, Organization, where, page);
  }

  get(actor: Actor, id: string): Promise<Organization> {
    return findReadableOrganization(actor.em, actor.principal, id);
  }

  /** Creates the organisation with its system folders and automatic groups. */
  create(actor: Actor, input: OrganizationInput & { name: string }): Promise<WriteResult<Organization>> {
    actor.principal.assertPlatformAdmin();
    return inWriteTransaction(actor.em, actor.principal.tokenId, async (em) => {
      const organization = applyDefined(new Organization(), input);
      em.persist(organization);
      await this.automaticGroups.ensureForOrganization(em, organization);
      return organization;
    });
  }

  update(actor: Actor, id: string, input: OrganizationInput): Promise<WriteResult<Organization>> {
    return inWriteTransaction(actor.em, actor.principal.tokenId, async (em) => {
      const organization = await findWritableOrganization(em, actor.principal, id);
      return applyDefined(organization, input);
    });
  }

  /** Deletes the organisation and, through the database's cascades, everything in it. */
  delete(actor: Actor, id: string): Promise<WriteResult<string>> {
    return inWriteTransaction(actor.em, actor.principal.tokenId, async (em) => {
      const organization = await findReadableOrganization(em, actor.principal, id);
      actor.principal.assertPlatformAdmin();
      em.remove(organization);
      return organization.id;
    });
  }

  listCous(actor: Actor, organizationId: string, page: PageArgs): Promise<Page<Cou>> {
    return findReadableOrganization(actor.em, actor.principal, organizationId).then((organization) =>
      paginate(actor.em, Cou, { organization: organization.id }, page),
    );
  }

  getCou(actor: Actor, id: string): Promise<Cou> {
    return findReadable(actor.em, actor.principal, Cou, id);
  }

  createCou(actor: Actor, organizationId: string, input: CouInput & { name: string }): Promise<WriteResult<Cou>> {
    return inWriteTransaction(actor.em, actor.principal.tokenId, async (em) => {
      const organization = await findWritableOrganization(em, actor.principal, organizationId);
      const cou = new Cou();
      cou.organization = ref(organization);
      await this.assignCou(actor, em, cou, input);
      em.persist(cou);
      await this.automaticGroups.ensureForCou(em, cou);
      return cou;
    });
  }

  updateCou(actor: Actor, id: string, input: CouInput): Promise<WriteResult<Cou>> {
    return inWriteTransaction(actor.em, actor.principal.tokenId, async (em) => {
      const cou = await findWritable(em, actor.principal, Cou, id);
      const renamed = input.name !== undefined && input.name !== cou.name;
      await this.assignCou(actor, em, cou, input);
      if (renamed) await this.automaticGroups.renameForCou(em, cou);
      return cou;
    });
  }

  /**
   * Refused while roles or child units still point at the unit. Its automatic groups and its
   * terms go with it, and departments lose the reference; each of those writes is logged.
   */
  deleteCou(actor: Actor, id: string): Promise<WriteResult<string>> {
    return inWriteTransaction(actor.em, actor.principal.tokenId, async (em) => {
      const cou = await findWritable(em, actor.principal, Cou, id);
      const [children, roles] = await Promise.all([em.count(Cou, { parent: cou.id }), em.count(PersonRole, { cou: cou.id })]);
      if (children > 0) throw conflict(`Unit ${cou.name} still has ${children} child unit(s); move or delete them first.`);
      if (roles > 0) throw conflict(`Unit ${cou.name} is still used by ${roles} person role(s); change or delete them first.`);
      const terms = await em.find(TermsAndConditions, { cou: cou.id });
      em.remove(await em.find(TermsAgreement, { terms: { $in: terms.map((t) => t.id) } }));
      em.remove(terms);
      for (const department of await em.find(Department, { cou: cou.id })) department.cou = null;
      await em.flush();
      await this.automaticGroups.removeForCou(em, cou);
      em.remove(cou);
      return cou.id;
    });
  }

  private async assignCou(actor: Actor, em: Actor['em'], cou: Cou, input: CouInput): Promise<void> {
    const { parentId, ...fields } = input;
    applyDefined(cou, fields);
    if (parentId === undefined) return;
    if (parentId === null) {
      cou.parent = null;
      return;
    }
    const parent = await findReadable(em, actor.principal, Cou, parentId);
    if (parent.organization.id !== cou.organization.id) throw badInput('The parent unit belongs to another organisation.', 'parentId');
    // Walk up from the new parent: reaching this unit would make a cycle.
    for (let node: Cou | null = parent; node; node = node.parent ? await em.findOneOrFail(Cou, node.parent.id) : null) {
      if (node.id === cou.id) throw badInput('A unit cannot be placed inside itself or its own descendants.', 'parentId');
    }
    cou.parent = ref(parent);
  }
}
