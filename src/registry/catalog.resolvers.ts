/** The GraphQL resolvers of sources, services, terms, departments and email lists. */
export const catalogResolvers: Function[] = [];
