import { ref, type Ref } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Organization } from '../organizations/organization.entity';
import { Folder, NAME_SEPARATOR } from './folder.entity';
import { Group } from './group.entity';

export const joinName = (parentFullName: string | null, name: string) =>
  parentFullName ? `${parentFullName}${NAME_SEPARATOR}${name}` : name;

export function newFolder(organization: Ref<Organization> | Organization, parent: Folder | null, name: string, system = false): Folder {
  const folder = new Folder();
  folder.organization = ref(organization as Organization);
  folder.parent = parent ? ref(parent) : null;
  folder.name = name;
  folder.fullName = joinName(parent?.fullName ?? null, name);
  folder.system = system;
  return folder;
}

/**
 * After a folder was renamed or moved: recomputes its full name and those of every folder and
 * group below it, so that names stay resolvable by a single indexed lookup. Each changed group is
 * an UPDATE in the change log (fullName), which is what provisioning needs to rename entries.
 */
export async function rewriteFullNames(em: EntityManager, folder: Folder): Promise<void> {
  const parent = folder.parent ? await em.findOneOrFail(Folder, folder.parent.id) : null;
  const oldPrefix = folder.fullName;
  const newPrefix = joinName(parent?.fullName ?? null, folder.name);
  if (oldPrefix === newPrefix) return;
  const below = `${oldPrefix}${NAME_SEPARATOR}`;
  const rename = (fullName: string) => newPrefix + fullName.slice(oldPrefix.length);
  const org = folder.organization.id;
  const likeBelow = `${below.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  const [folders, groups] = await Promise.all([
    em.find(Folder, { organization: org, fullName: { $like: likeBelow } }),
    em.find(Group, { organization: org, fullName: { $like: likeBelow } }),
  ]);
  folder.fullName = newPrefix;
  for (const descendant of folders) descendant.fullName = rename(descendant.fullName);
  for (const group of groups) group.fullName = rename(group.fullName);
  await em.flush();
}
