/** The GraphQL resolvers of this domain. */
export const peopleResolvers: Function[] = [];
