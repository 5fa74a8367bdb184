import { Arg, Args, Ctx, FieldResolver, ID, Mutation, ObjectType, Query, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../../api/context';
import { Connection, PageArgs } from '../../common/pagination';
import { DeletePayload, Payload, toDeletePayload, toPayload } from '../../api/payload';
import { Folder } from './folder.entity';
import { CreateFolderInput, FolderFilter, UpdateFolderInput } from './folder.inputs';
import { Group } from './group.entity';

@ObjectType()
class FolderConnection extends Connection(Folder) {}

@ObjectType()
class FolderPayload extends Payload(Folder, 'folder') {}

@Resolver(() => Folder)
export class FolderResolver {
  @Query(() => FolderConnection, { description: 'Folders (Grouper stems) of the organisation, in creation order.' })
  folders(
    @Ctx() ctx: RequestContext,
    @Arg('organizationId', () => ID) organizationId: string,
    @Arg('filter', () => FolderFilter, { nullable: true }) filter: FolderFilter | null,
    @Args() page: PageArgs,
  ) {
    return ctx.services.groups.listFolders(ctx, organizationId, filter ?? {}, page);
  }

  @Query(() => Folder)
  folder(@Ctx() ctx: RequestContext, @Arg('id', () => ID) id: string) {
    return ctx.services.groups.getFolder(ctx, id);
  }

  @FieldResolver(() => Folder, { nullable: true })
  parent(@Root() folder: Folder, @Ctx() ctx: RequestContext) {
    return folder.parent ? ctx.loaders.byId(Folder).load(folder.parent.id) : null;
  }

  @FieldResolver(() => [Folder], { description: 'The folders directly inside this one.' })
  children(@Root() folder: Folder, @Ctx() ctx: RequestContext) {
    return ctx.loaders.childrenOf(Folder, 'parent').load(folder.id);
  }

  @FieldResolver(() => [Group], { description: 'The groups directly inside this folder.' })
  groups(@Root() folder: Folder, @Ctx() ctx: RequestContext) {
    return ctx.loaders.childrenOf(Group, 'folder').load(folder.id);
  }

  @Mutation(() => FolderPayload, { description: 'Not inside the reserved CO folder of the automatic groups.' })
  async createFolder(@Ctx() ctx: RequestContext, @Arg('input') input: CreateFolderInput) {
    const { organizationId, ...fields } = input;
    return toPayload(await ctx.services.groups.createFolder(ctx, organizationId, fields));
  }

  @Mutation(() => FolderPayload, { description: 'Renames and moves rewrite the full names of everything below.' })
  async updateFolder(@Ctx() ctx: RequestContext, @Arg('id', () => ID) id: string, @Arg('input') input: UpdateFolderInput) {
    return toPayload(await ctx.services.groups.updateFolder(ctx, id, input));
  }

  @Mutation(() => DeletePayload, { description: 'Only empty folders can be deleted.' })
  async deleteFolder(@Ctx() ctx: RequestContext, @Arg('id', () => ID) id: string) {
    return toDeletePayload(id, await ctx.services.groups.deleteFolder(ctx, id));
  }
}
