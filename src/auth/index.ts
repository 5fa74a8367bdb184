import { ApiTokenResolver } from './api-token.resolver';

/** The GraphQL resolvers of API tokens and the viewer. */
export const authResolvers: Function[] = [ApiTokenResolver];
