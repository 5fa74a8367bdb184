import { ArrayMaxSize, IsArray, IsEnum, IsOptional, IsString, Length, ValidateNested } from 'class-validator';
import { Field, InputType, ObjectType } from 'type-graphql';
import { badInput } from '../common/errors';
import { ATTRIBUTE_KINDS, dataFiltersSchema, GroupRuleKind, ValuePick, type DataFilter } from './filters';

@InputType('GroupDataFilterRuleInput')
@ObjectType('GroupDataFilterRule')
export class GroupFilterRule {
  @Field({ description: 'A regex the whole group name must match, e.g. "research:.*". Runs on RE2 (linear time; no backreferences or lookaround).' })
  @IsString()
  @Length(1, 1024)
  pattern: string;

  @Field(() => GroupRuleKind)
  @IsEnum(GroupRuleKind)
  rule: GroupRuleKind;
}

@InputType('GroupDataFilterInput')
@ObjectType('GroupDataFilter', { description: 'Ordered rules; the first whose pattern matches a group decides; no match leaves the group out.' })
export class GroupFilter {
  @Field(() => [GroupFilterRule])
  @IsArray()
  @ArrayMaxSize(100)
  @ValidateNested({ each: true })
  rules: GroupFilterRule[];
}

@InputType('GroupNameDataFilterInput')
@ObjectType('GroupNameDataFilter', { description: "Sends a group's identifier of this type as its name (in group entries and in memberships)." })
export class GroupNameFilter {
  @Field()
  @IsString()
  @Length(1, 64)
  identifierType: string;
}

@InputType('AttributeValueRuleInput')
@ObjectType('AttributeValueRule')
export class AttributeValueRule {
  @Field(() => [String], { description: 'Types to keep, in order of preference; empty keeps every type.' })
  @IsArray()
  @IsString({ each: true })
  types: string[];

  @Field(() => ValuePick, { description: 'ALL kept values, or the FIRST in preference order.' })
  @IsEnum(ValuePick)
  pick: ValuePick;
}

@InputType('AttributeDataFilterInput')
@ObjectType('AttributeDataFilter', { description: 'Which values of each attribute the target receives; attributes left out are sent whole.' })
export class AttributeFilter {
  @Field(() => AttributeValueRule, { nullable: true })
  @IsOptional()
  @ValidateNested()
  names?: AttributeValueRule | null;

  @Field(() => AttributeValueRule, { nullable: true })
  @IsOptional()
  @ValidateNested()
  emailAddresses?: AttributeValueRule | null;

  @Field(() => AttributeValueRule, { nullable: true })
  @IsOptional()
  @ValidateNested()
  identifiers?: AttributeValueRule | null;

  @Field(() => AttributeValueRule, { nullable: true })
  @IsOptional()
  @ValidateNested()
  urls?: AttributeValueRule | null;

  @Field(() => AttributeValueRule, { nullable: true })
  @IsOptional()
  @ValidateNested()
  addresses?: AttributeValueRule | null;

  @Field(() => AttributeValueRule, { nullable: true })
  @IsOptional()
  @ValidateNested()
  telephoneNumbers?: AttributeValueRule | null;
}

@InputType('DataFilterInput', { description: 'One data filter: set exactly one of the fields.' })
@ObjectType('DataFilter', { description: 'One data filter of a target; exactly one field is set.' })
export class DataFilterSpec {
  @Field(() => GroupFilter, { nullable: true })
  @IsOptional()
  @ValidateNested()
  groupFilter?: GroupFilter | null;

  @Field(() => GroupNameFilter, { nullable: true })
  @IsOptional()
  @ValidateNested()
  groupName?: GroupNameFilter | null;

  @Field(() => AttributeFilter, { nullable: true })
  @IsOptional()
  @ValidateNested()
  attributes?: AttributeFilter | null;
}

/** API shape -> stored shape, validated (patterns compile, exactly one kind per entry). */
export function toDataFilters(specs: DataFilterSpec[]): DataFilter[] {
  const stored = specs.map((spec, index) => {
    const set = (['groupFilter', 'groupName', 'attributes'] as const).filter((key) => spec[key]);
    if (set.length !== 1) throw badInput(`dataFilters[${index}]: set exactly one of groupFilter, groupName, attributes.`, 'dataFilters');
    if (spec.groupFilter) return { kind: 'GROUP_FILTER', rules: spec.groupFilter.rules };
    if (spec.groupName) return { kind: 'GROUP_NAME', identifierType: spec.groupName.identifierType };
    const attributes = spec.attributes!;
    return { kind: 'ATTRIBUTES', ...Object.fromEntries(ATTRIBUTE_KINDS.filter((kind) => attributes[kind]).map((kind) => [kind, attributes[kind]])) };
  });
  const parsed = dataFiltersSchema.safeParse(stored);
  if (!parsed.success) {
    const problem = parsed.error.issues[0];
    throw badInput(`dataFilters.${problem.path.join('.')}: ${problem.message}.`, 'dataFilters');
  }
  return parsed.data;
}

/** Stored shape -> API shape. */
export function fromDataFilters(filters: DataFilter[]): DataFilterSpec[] {
  return filters.map((filter) => {
    if (filter.kind === 'GROUP_FILTER') return { groupFilter: { rules: filter.rules } };
    if (filter.kind === 'GROUP_NAME') return { groupName: { identifierType: filter.identifierType } };
    const { kind: _kind, ...attributes } = filter;
    return { attributes } as DataFilterSpec;
  });
}
