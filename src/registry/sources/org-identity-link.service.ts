import { ref, type FilterQuery } from '@mikro-orm/core';
import type { Actor } from '../../auth/actor';
import { badInput } from '../../common/errors';
import { paginate, type Page, type PageArgs } from '../../common/pagination';
import { applyDefined } from '../../common/validation';
import { inWriteTransaction, type WriteResult } from '../../db/transaction';
import type { SameOrganizationReferences } from '../records';
import { Person } from '../people/person.entity';
import { findReadable, findReadableOrganization, findWritable } from '../records';
import { OrgIdentityLink } from './org-identity-link.entity';
import { OrgIdentitySource } from './org-identity-source.entity';

export interface OrgIdentityLinkInput {
  sourceKey?: string;
  validFrom?: Date | null;
  validThrough?: Date | null;
}

export interface LinkOrgIdentityInput extends OrgIdentityLinkInput {
  personId: string;
  sourceId: string;
  sourceKey: string;
}

export interface OrgIdentityLinkFilterInput {
  personId?: string | null;
  sourceId?: string | null;
}

export class OrgIdentityLinkService {
  constructor(private readonly references: SameOrganizationReferences) {}

  async list(
    actor: Actor,
    organizationId: string,
    filter: OrgIdentityLinkFilterInput = {},
    page: PageArgs,
  ): Promise<Page<OrgIdentityLink>> {
    const organization = await findReadableOrganization(actor.em, actor.principal, organizationId);
    const where: FilterQuery<OrgIdentityLink> = { organization: organization.id };
    if (filter.personId) where.person = filter.personId;
    if (filter.sourceId) where.source = filter.sourceId;
    return paginate(actor.em, OrgIdentityLink, where, page);
  }

  get(actor: Actor, id: string): Promise<OrgIdentityLink> {
    return findReadable(actor.em, actor.principal, OrgIdentityLink, id);
  }

  /** Links the person to a record of a source of the person's organisation. */
  link(actor: Actor, input: LinkOrgIdentityInput): Promise<WriteResult<OrgIdentityLink>> {
    const { personId, sourceId, ...fields } = input;
    return inWriteTransaction(actor.em, actor.principal.tokenId, async (em) => {
      const person = await findWritable(em, actor.principal, Person, personId);
      const source = await this.references.require(em, actor.principal, OrgIdentitySource, sourceId, person.organization.id);
      const link = new OrgIdentityLink();
      link.organization = person.organization;
      link.person = ref(person);
      link.source = ref(source);
      assertValidPeriod(applyDefined(link, fields));
      em.persist(link);
      return link;
    });
  }

  update(actor: Actor, id: string, input: OrgIdentityLinkInput): Promise<WriteResult<OrgIdentityLink>> {
    return inWriteTransaction(actor.em, actor.principal.tokenId, async (em) => {
      const link = await findWritable(em, actor.principal, OrgIdentityLink, id);
      return assertValidPeriod(applyDefined(link, input));
    });
  }

  unlink(actor: Actor, id: string): Promise<WriteResult<string>> {
    return inWriteTransaction(actor.em, actor.principal.tokenId, async (em) => {
      const link = await findWritable(em, actor.principal, OrgIdentityLink, id);
      em.remove(link);
      return link.id;
    });
  }
}

function assertValidPeriod(link: OrgIdentityLink): OrgIdentityLink {
  if (link.validFrom && link.validThrough && link.validFrom > link.validThrough) {
    throw badInput('validFrom must not be later than validThrough.', 'validThrough');
  }
  return link;
}
