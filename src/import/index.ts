import { ImportResolver } from './import.resolver';

/** The GraphQL resolvers of imports and exports (the upload itself is a route: import.routes.ts). */
export const importResolvers: Function[] = [ImportResolver];
