import { Entity, Enum, ManyToOne, PrimaryKey, Property, type Ref } from '@mikro-orm/core';
import { Field, ID, ObjectType, registerEnumType } from 'type-graphql';
import { v7 as uuidv7 } from 'uuid';
import type { Organization } from '../registry/organizations/organization.entity';

export enum Role {
  PLATFORM_ADMIN = 'PLATFORM_ADMIN',
  ORG_ADMIN = 'ORG_ADMIN',
  ORG_READER = 'ORG_READER',
}
registerEnumType(Role, {
  name: 'Role',
  valuesConfig: {
    PLATFORM_ADMIN: { description: 'Everything, in every organisation.' },
    ORG_ADMIN: { description: 'Read and change one organisation.' },
    ORG_READER: { description: 'Read one organisation.' },
  },
});

/** A bearer API token. Only a SHA-256 of the secret is stored; the secret is shown once. */
@ObjectType()
@Entity()
export class ApiToken {
  @Field(() => ID)
  @PrimaryKey({ type: 'uuid' })
  id: string = uuidv7();

  @Field()
  @Property({ type: 'string', length: 128 })
  name: string;

  @Property({ type: 'string', length: 64, unique: true, hidden: true })
  secretHash: string;

  @Field({ description: 'The first characters of the secret, to recognise a token.' })
  @Property({ type: 'string', length: 16, index: true })
  prefix: string;

  @Field(() => Role)
  @Enum({ items: () => Role, nativeEnumName: 'role' })
  role: Role;

  @ManyToOne({ entity: 'Organization', ref: true, nullable: true, deleteRule: 'cascade', index: true })
  organization: Ref<Organization> | null = null;

  @Field(() => ID, { nullable: true })
  get organizationId(): string | null {
    return this.organization?.id ?? null;
  }

  @Field()
  @Property({ type: 'datetime' })
  createdAt: Date = new Date();

  @Field(() => ID, { nullable: true, description: 'The token that created this one (null for the bootstrap token).' })
  @Property({ type: 'uuid', nullable: true })
  createdByTokenId: string | null = null;

  @Field(() => Date, { nullable: true })
  @Property({ type: 'datetime', nullable: true })
  revokedAt: Date | null = null;

  @Field(() => Date, { nullable: true, description: 'The token stops working at this time; null: it does not expire.' })
  @Property({ type: 'datetime', nullable: true })
  expiresAt: Date | null = null;

  @Field(() => Date, { nullable: true, description: 'When the token was last accepted (updated at most once a minute).' })
  @Property({ type: 'datetime', nullable: true })
  lastUsedAt: Date | null = null;
}
