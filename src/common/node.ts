import { Field, ID, InterfaceType } from 'type-graphql';

/**
 * Relay's object identification: every organisation and registry record (and the provisioning
 * records that belong to an organisation) is a Node, fetched again by its id with `node(id:)`.
 * Ids are UUIDv7, unique across every table, so they serve as global ids as they are.
 */
@InterfaceType({ description: 'A record that can be fetched again by its id alone, with `node(id:)` (Relay object identification).' })
export abstract class Node {
  @Field(() => ID, { description: 'Unique across every kind of record.' })
  id: string;
}
