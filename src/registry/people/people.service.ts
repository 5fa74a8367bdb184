import type { AutomaticGroupService } from '../groups/automatic-group.service';
import type { MembershipService } from '../groups/membership.service';

/** People and everything hanging off them: names, emails, identifiers, URLs, roles, ... */
export class PeopleService {
  constructor(
    private readonly automaticGroups: AutomaticGroupService,
    private readonly memberships: MembershipService,
  ) {}
}
