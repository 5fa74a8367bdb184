import { Entity, Enum, Index, PrimaryKey, Property } from '@mikro-orm/core';
import { GraphQLJSONObject } from 'graphql-scalars';
import { Field, ID, ObjectType, registerEnumType } from 'type-graphql';
import { v7 as uuidv7 } from 'uuid';
import { ImportFormat } from './document';

registerEnumType(ImportFormat, { name: 'ImportFormat', description: 'The file formats an import reads.' });

export enum ImportState {
  QUEUED = 'QUEUED',
  RUNNING = 'RUNNING',
  /** Done: applied, or planned only (a dry run, or refused rows with allOrNothing). */
  DONE = 'DONE',
  FAILED = 'FAILED',
  CANCELLED = 'CANCELLED',
}
registerEnumType(ImportState, { name: 'ImportState' });

/**
 * One import of a file into an organisation: the file as it came (kept until the run is done, so
 * a run taken over after a crash reads it again), the options, how far it got and its report.
 */
@ObjectType({ description: 'An import of people and groups from a file into an organisation.' })
@Entity()
@Index({ properties: ['organizationId', 'createdAt'] })
export class ImportRun {
  @Field(() => ID)
  @PrimaryKey({ type: 'uuid' })
  id: string = uuidv7();

  @Field(() => ID)
  @Property({ type: 'uuid' })
  organizationId: string;

  @Field(() => ImportFormat)
  @Enum({ items: () => ImportFormat, nativeEnumName: 'import_format' })
  format: ImportFormat;

  @Field({ description: 'The identifier type people are matched by.' })
  @Property({ type: 'string', length: 64 })
  matchBy: string;

  @Field({ description: 'Only plan: report what would change and what it would provision, write nothing.' })
  @Property({ type: 'boolean' })
  dryRun: boolean = false;

  @Field({ description: 'People and memberships Ferry has but the file does not are removed (people: status DELETED).' })
  @Property({ type: 'boolean' })
  removeMissing: boolean = false;

  @Field({ description: 'Apply nothing if any record of the file is refused.' })
  @Property({ type: 'boolean' })
  allOrNothing: boolean = false;

  @Field(() => ImportState)
  @Enum({ items: () => ImportState, nativeEnumName: 'import_state' })
  state: ImportState = ImportState.QUEUED;

  /** The file, until the run is done. */
  @Property({ type: 'text', nullable: true, lazy: true })
  document: string | null = null;

  @Field(() => String, { nullable: true, description: 'The job running the import.' })
  @Property({ type: 'string', length: 64, nullable: true })
  jobId: string | null = null;

  @Field(() => GraphQLJSONObject, { nullable: true, description: 'What the import did (or, for a dry run, would do): counts, samples and refused records.' })
  @Property({ type: 'json', nullable: true })
  report: Record<string, unknown> | null = null;

  @Field(() => String, { nullable: true })
  @Property({ type: 'text', nullable: true })
  error: string | null = null;

  @Property({ type: 'uuid', nullable: true })
  requestedByTokenId: string | null = null;

  @Field()
  @Property({ type: 'datetime' })
  createdAt: Date = new Date();

  @Field(() => Date, { nullable: true })
  @Property({ type: 'datetime', nullable: true })
  finishedAt: Date | null = null;
}
