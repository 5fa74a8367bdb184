import { Arg, Args, Ctx, FieldResolver, ID, Mutation, ObjectType, Query, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../../api/context';
import { Connection, PageArgs } from '../../common/pagination';
import { DeletePayload, Payload, toDeletePayload, toPayload } from '../../api/payload';
import { Group } from '../groups/group.entity';
import { Cou } from '../organizations/cou.entity';
import { Department } from './department.entity';
import { CreateDepartmentInput, DepartmentFilter, UpdateDepartmentInput } from './department.inputs';

@ObjectType()
class DepartmentConnection extends Connection(Department) {}

@ObjectType()
class DepartmentPayload extends Payload(Department, 'department') {}

@Resolver(() => Department)
export class DepartmentResolver {
  @Query(() => DepartmentConnection)
  departments(
    @Ctx() ctx: RequestContext,
    @Arg('organizationId', () => ID) organizationId: string,
    @Arg('filter', () => DepartmentFilter, { nullable: true }) filter: DepartmentFilter | null,
    @Args() page: PageArgs,
  ) {
    return ctx.services.catalog.departments.list(ctx, organizationId, filter ?? {}, page);
  }

  @Query(() => Department)
  department(@Ctx() ctx: RequestContext, @Arg('id', () => ID) id: string) {
    return ctx.services.catalog.departments.get(ctx, id);
  }

  @FieldResolver(() => Cou, { nullable: true })
  cou(@Root() department: Department, @Ctx() ctx: RequestContext) {
    return department.cou ? ctx.loaders.byId(Cou).load(department.cou.id) : null;
  }

  @FieldResolver(() => Group, { nullable: true })
  leadershipGroup(@Root() department: Department, @Ctx() ctx: RequestContext) {
    return department.leadershipGroup ? ctx.loaders.byId(Group).load(department.leadershipGroup.id) : null;
  }

  @FieldResolver(() => Group, { nullable: true })
  administrativeGroup(@Root() department: Department, @Ctx() ctx: RequestContext) {
    return department.administrativeGroup ? ctx.loaders.byId(Group).load(department.administrativeGroup.id) : null;
  }

  @Mutation(() => DepartmentPayload)
  async createDepartment(@Ctx() ctx: RequestContext, @Arg('input') input: CreateDepartmentInput) {
    const { organizationId, ...fields } = input;
    return toPayload(await ctx.services.catalog.departments.create(ctx, organizationId, fields));
  }

  @Mutation(() => DepartmentPayload)
  async updateDepartment(@Ctx() ctx: RequestContext, @Arg('id', () => ID) id: string, @Arg('input') input: UpdateDepartmentInput) {
    return toPayload(await ctx.services.catalog.departments.update(ctx, id, input));
  }

  @Mutation(() => DeletePayload)
  async deleteDepartment(@Ctx() ctx: RequestContext, @Arg('id', () => ID) id: string) {
    return toDeletePayload(id, await ctx.services.catalog.departments.delete(ctx, id));
  }
}
