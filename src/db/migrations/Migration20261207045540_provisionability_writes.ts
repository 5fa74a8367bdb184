import { Migration } from '@mikro-orm/migrations';

/**
 * Cheaper writes of the folder-rules answers (a first full calculation writes a row per
 * provisionable group, 76,000 in the benchmark):
 * - the foreign key to the target goes: its check was a lookup per inserted row, most of the
 *   insert's time. A recalculation locks the target's row once instead (`for key share`, what
 *   each check took), and this trigger deletes a target's rows with it, as the cascade did;
 * - the organisation index served no query (all go by target);
 * - pages keep 30 % free, so a changed answer is written in place (a HOT update, no new index
 *   entries): none of the columns a recalculation changes is indexed.
 */
export class Migration20261207045540_provisionability_writes extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table "group_provisionability" drop constraint "group_provisionability_target_id_foreign";`);
    this.addSql(`create function "ferry_delete_target_provisionability"() returns trigger language plpgsql as $$
      begin
        delete from "group_provisionability" where "target_id" = old."id";
        return old;
      end $$;`);
    this.addSql(`create trigger "provisioning_target_delete_provisionability" after delete on "provisioning_target"
      for each row execute function "ferry_delete_target_provisionability"();`);
    this.addSql(`drop index "group_provisionability_organization_id_index";`);
    this.addSql(`alter table "group_provisionability" set (fillfactor = 70);`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "group_provisionability" reset (fillfactor);`);
    this.addSql(`create index "group_provisionability_organization_id_index" on "group_provisionability" ("organization_id");`);
    this.addSql(`drop trigger "provisioning_target_delete_provisionability" on "provisioning_target";`);
    this.addSql(`drop function "ferry_delete_target_provisionability"();`);
    this.addSql(`delete from "group_provisionability" g where not exists (select 1 from "provisioning_target" t where t."id" = g."target_id");`);
    this.addSql(`alter table "group_provisionability" add constraint "group_provisionability_target_id_foreign" foreign key ("target_id") references "provisioning_target" ("id") on update cascade on delete cascade;`);
  }

}
