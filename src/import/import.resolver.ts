import { Arg, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import type { RequestContext } from '../api/context';
import { ImportRun } from './import-run.entity';
import { ImportInput } from './import.inputs';

@Resolver(() => ImportRun)
export class ImportResolver {
  @Mutation(() => ImportRun, { description: 'Queues an import (or a dry run) of people and groups; follow it with importRun or the job progress subscription.' })
  importPopulation(@Ctx() ctx: RequestContext, @Arg('input', () => ImportInput) input: ImportInput) {
    return ctx.services.imports.start(ctx, input);
  }

  @Query(() => ImportRun)
  importRun(@Ctx() ctx: RequestContext, @Arg('id', () => ID) id: string) {
    return ctx.services.imports.get(ctx, id);
  }

  @Query(() => String, { description: "The organisation's units, people (every name and role with its records) and groups (members, owners, nestings) in Ferry's JSON format (ferry.population/v1), which importPopulation reads back." })
  exportPopulation(
    @Ctx() ctx: RequestContext,
    @Arg('organizationId', () => ID) organizationId: string,
    @Arg('matchBy', () => String, { defaultValue: 'uid' }) matchBy: string,
  ) {
    return ctx.services.imports.export(ctx, organizationId, matchBy);
  }
}
