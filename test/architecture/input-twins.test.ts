import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { getMetadataStorage } from 'class-validator';
import { buildSchema, getNamedType, isInputObjectType, type GraphQLInputObjectType } from 'graphql';
import * as targetInputs from '../../src/provisioning/target.inputs';
import * as departmentInputs from '../../src/registry/departments/department.inputs';
import * as emailListInputs from '../../src/registry/email-lists/email-list.inputs';
import * as folderInputs from '../../src/registry/groups/folder.inputs';
import * as groupInputs from '../../src/registry/groups/group.inputs';
import * as personRoleInputs from '../../src/registry/people/person-role.inputs';
import * as personInputs from '../../src/registry/people/person.inputs';
import * as serviceInputs from '../../src/registry/services/services.inputs';
import * as sourceInputs from '../../src/registry/sources/sources.inputs';
import * as termsInputs from '../../src/registry/terms/terms.inputs';

/** The input classes (their class names are their GraphQL names). */
const classes = new Map<string, Function>(
  [targetInputs, departmentInputs, emailListInputs, folderInputs, groupInputs, personRoleInputs, personInputs, serviceInputs, sourceInputs, termsInputs]
    .flatMap((module) => Object.entries(module))
    .filter((entry): entry is [string, Function] => typeof entry[1] === 'function' && entry[0].endsWith('Input')),
);

/** Fields only one twin has, on purpose: what a record is created in, what only creation takes, what only an update does. */
const ONE_SIDED: Record<string, string[]> = {
  ProvisioningTarget: ['organizationId', 'plugin'],
  Person: ['organizationId', 'names', 'emailAddresses', 'identifiers'],
  Group: ['organizationId', 'moveToRoot'],
  PersonRole: ['personId'],
  Address: ['roleId'],
  TelephoneNumber: ['roleId'],
  AdHocAttribute: ['roleId'],
  Name: ['personId'],
  EmailAddress: ['personId'],
  Url: ['personId'],
  Identifier: ['personId', 'groupId'],
};

/** The validators of a field, by name, without the ones that say whether it may be left out. */
function validators(inputClass: Function, field: string): string[] {
  const presence = new Set(['isOptional', 'conditionalValidation', 'notNullWhenGiven', 'isDefined']);
  return getMetadataStorage()
    .getTargetValidationMetadatas(inputClass, '', true, false)
    .filter((meta) => meta.propertyName === field)
    .map((meta) => meta.name ?? meta.type)
    .filter((name) => !presence.has(name))
    .sort();
}

/**
 * The Create/Update (Add/Update) input twins are written twice; these checks keep them in step,
 * so a field, a type, a validator or a description added on one side is not forgotten on the other.
 */
describe('architecture: create and update inputs in step', () => {
  it('gives both twins the same fields, types, validators and documented fields', async () => {
    const schema = buildSchema(await readFile(path.resolve(__dirname, '../../../schema/schema.graphql'), 'utf8'));
    const types = schema.getTypeMap();
    const pairs: [string, GraphQLInputObjectType, GraphQLInputObjectType][] = [];
    for (const [name, type] of Object.entries(types)) {
      const update = /^Update(\w+)Input$/.exec(name);
      if (!update || !isInputObjectType(type)) continue;
      const twin = [`Create${update[1]}Input`, `Add${update[1]}Input`, `${update[1]}Input`].map((candidate) => types[candidate]).find(isInputObjectType);
      if (twin) pairs.push([update[1], twin, type]);
    }
    assert.ok(pairs.length >= 15, `found the twins: ${pairs.map(([name]) => name).join(', ')}`);

    const problems: string[] = [];
    for (const [name, create, update] of pairs) {
      const made = create.getFields();
      const changed = update.getFields();
      const allowed = new Set(ONE_SIDED[name] ?? ['organizationId']);
      for (const field of new Set([...Object.keys(made), ...Object.keys(changed)])) {
        const a = made[field];
        const b = changed[field];
        if (!a || !b) {
          if (!allowed.has(field)) problems.push(`${name}.${field} is only in ${a ? create.name : update.name}`);
          continue;
        }
        if (getNamedType(a.type).name !== getNamedType(b.type).name) problems.push(`${name}.${field}: ${a.type.toString()} vs ${b.type.toString()}`);
        if (Boolean(a.description) !== Boolean(b.description)) problems.push(`${name}.${field} is documented in ${a.description ? create.name : update.name} only`);
        const createClass = classes.get(create.name);
        const updateClass = classes.get(update.name);
        if (createClass && updateClass) {
          const [va, vb] = [validators(createClass, field), validators(updateClass, field)];
          if (va.join() !== vb.join()) problems.push(`${name}.${field} validators: ${va.join(' ')} vs ${vb.join(' ')}`);
        }
      }
    }
    assert.deepEqual(problems, []);
  });
});
