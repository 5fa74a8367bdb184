import { Migration } from '@mikro-orm/migrations';

export class Migration20261206073606_ownership extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "provisioning_claim" ("target_id" uuid not null, "subject_type" "subject_type" not null, "subject_id" uuid not null, "remote_id" text not null, "claimed_at" timestamptz not null, constraint "provisioning_claim_pkey" primary key ("target_id", "subject_type", "subject_id"));`);

    this.addSql(`alter table "provisioned_state" add column "remote_key" text null;`);
    this.addSql(`create index "provisioned_state_target_id_subject_type_remote_key_index" on "provisioned_state" ("target_id", "subject_type", "remote_key");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "provisioning_claim" cascade;`);

    this.addSql(`drop index "provisioned_state_target_id_subject_type_remote_key_index";`);
    this.addSql(`alter table "provisioned_state" drop column "remote_key";`);
  }

}
