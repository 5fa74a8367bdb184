import type { MembershipService } from './membership.service';

/** Folders, groups, memberships and nestings. */
export class GroupService {
  constructor(private readonly memberships: MembershipService) {}
}
