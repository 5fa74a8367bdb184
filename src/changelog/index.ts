import { ChangeLogResolver } from './change-log.resolver';

/** The GraphQL resolvers of the change log. */
export const changeLogResolvers: Function[] = [ChangeLogResolver];
