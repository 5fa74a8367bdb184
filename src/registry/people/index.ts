import { PersonAttributeResolver } from './person-attribute.resolver';
import { PersonRoleResolver } from './person-role.resolver';
import { PersonResolver } from './person.resolver';

/** The GraphQL resolvers of this domain. */
export const peopleResolvers: Function[] = [PersonResolver, PersonAttributeResolver, PersonRoleResolver];
