/** The GraphQL resolvers of this domain. */
export const groupResolvers: Function[] = [];
