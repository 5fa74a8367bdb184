import { LiveResolver } from './live.resolver';

/** The GraphQL resolvers of the subscriptions. */
export const liveResolvers: Function[] = [LiveResolver];
