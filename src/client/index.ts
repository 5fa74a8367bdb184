// The typed client: the generated documents and types, and the runtime that sends them.
export * from './generated/graphql';
export * from './runtime';
