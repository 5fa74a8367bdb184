import { Migration } from '@mikro-orm/migrations';

export class Migration20261207190747_written_members extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "provisioned_member" ("target_id" uuid not null, "group_id" uuid not null, "member_remote_id" text not null, constraint "provisioned_member_pkey" primary key ("target_id", "group_id", "member_remote_id"));`);

    this.addSql(`alter table "provisioned_member" add constraint "provisioned_member_target_id_foreign" foreign key ("target_id") references "provisioning_target" ("id") on update cascade on delete cascade;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "provisioned_member" cascade;`);
  }

}
