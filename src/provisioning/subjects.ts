import type { EntityClass } from '@mikro-orm/core';
import type { OrgScopedEntity } from '../common/base-entity';
import { EmailList } from '../registry/email-lists/email-list.entity';
import { Group } from '../registry/groups/group.entity';
import { Person } from '../registry/people/person.entity';
import { Service } from '../registry/services/service.entity';
import { ProvisioningAction as A, SubjectType } from './actions';

/** What Ferry provisions of one kind of subject: its record and the actions about it (spec 1.3). */
export interface SubjectKind<T extends OrgScopedEntity = OrgScopedEntity> {
  type: SubjectType;
  entity: EntityClass<T>;
  /** How an error message names it ("person", "email list"). */
  label: string;
  added: A;
  updated: A;
  deleted: A;
  /** Reprovision All, the validity sweep, reconciliation and `provision` (PR / GR / SR / LR). */
  reprovision: A;
}

/** The one table of subject kinds; every place that needs the entity or an action of a kind reads it. */
export const SUBJECTS: { readonly [K in SubjectType]: SubjectKind } = {
  [SubjectType.PERSON]: {
    type: SubjectType.PERSON,
    entity: Person,
    label: 'person',
    added: A.PERSON_ADDED,
    updated: A.PERSON_UPDATED,
    deleted: A.PERSON_DELETED,
    reprovision: A.PERSON_REPROVISION_REQUESTED,
  },
  [SubjectType.GROUP]: {
    type: SubjectType.GROUP,
    entity: Group,
    label: 'group',
    added: A.GROUP_ADDED,
    updated: A.GROUP_UPDATED,
    deleted: A.GROUP_DELETED,
    reprovision: A.GROUP_REPROVISION_REQUESTED,
  },
  [SubjectType.SERVICE]: {
    type: SubjectType.SERVICE,
    entity: Service,
    label: 'service',
    added: A.SERVICE_ADDED,
    updated: A.SERVICE_UPDATED,
    deleted: A.SERVICE_DELETED,
    reprovision: A.SERVICE_REPROVISION_REQUESTED,
  },
  [SubjectType.EMAIL_LIST]: {
    type: SubjectType.EMAIL_LIST,
    entity: EmailList,
    label: 'email list',
    added: A.LIST_ADDED,
    updated: A.LIST_UPDATED,
    deleted: A.LIST_DELETED,
    reprovision: A.LIST_REPROVISION_REQUESTED,
  },
};
