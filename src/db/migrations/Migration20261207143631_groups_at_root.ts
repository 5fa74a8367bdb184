import { Migration } from '@mikro-orm/migrations';

/**
 * Groups at the root (no folder), as COmanage's flat groups: group.folder_id becomes nullable.
 * Full names stay unique per organisation (group_organization_id_full_name_unique), which covers
 * root names too: a root group's full name is its name, and no group in a folder has one without ":".
 */
export class Migration20261207143631_groups_at_root extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table "group" alter column "folder_id" drop not null;`);
  }

  override async down(): Promise<void> {
    // Fails while groups at the root exist: move them into a folder first.
    this.addSql(`alter table "group" alter column "folder_id" set not null;`);
  }

}
