import { FolderResolver } from './folder.resolver';
import { GroupResolver } from './group.resolver';
import { GroupMembershipResolver, GroupNestingResolver } from './membership.resolver';

/** The GraphQL resolvers of this domain. */
export const groupResolvers: Function[] = [FolderResolver, GroupResolver, GroupMembershipResolver, GroupNestingResolver];
