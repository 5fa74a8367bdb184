import { ApiTokenService } from './auth/api-token.service';
import { ChangeLogService } from './changelog/change-log.service';
import { AutomaticGroupService } from './registry/groups/automatic-group.service';
import { GroupService } from './registry/groups/group.service';
import { MembershipService } from './registry/groups/membership.service';
import { OrganizationService } from './registry/organizations/organization.service';
import { PeopleService } from './registry/people/people.service';
import { CatalogService } from './registry/catalog.service';

/** The composition root of the domain services; resolvers reach them through the request context. */
export function createServices() {
  const memberships = new MembershipService();
  const automaticGroups = new AutomaticGroupService(memberships);
  return {
    apiTokens: new ApiTokenService(),
    changeLog: new ChangeLogService(),
    memberships,
    automaticGroups,
    organizations: new OrganizationService(automaticGroups),
    people: new PeopleService(automaticGroups, memberships),
    groups: new GroupService(memberships),
    catalog: new CatalogService(),
  };
}

export type Services = ReturnType<typeof createServices>;
