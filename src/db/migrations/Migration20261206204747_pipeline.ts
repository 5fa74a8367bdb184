import { Migration } from '@mikro-orm/migrations';

export class Migration20261206204747_pipeline extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "provisioning_work" ("id" bigserial primary key, "target_id" uuid not null, "organization_id" uuid not null, "subject_type" "subject_type" not null, "subject_id" uuid not null, "action" "provisioning_action" not null, "change_seq" bigint null, "change_key" varchar(64) not null, "rank" int not null, "phase" int not null, "snapshot" jsonb null, "created_at" timestamptz not null default now());`);
    this.addSql(`create index "provisioning_work_change_seq_index" on "provisioning_work" ("change_seq");`);
    this.addSql(`create index "provisioning_work_change_key_target_id_phase_index" on "provisioning_work" ("change_key", "target_id", "phase");`);
    this.addSql(`create index "provisioning_work_subject_id_id_index" on "provisioning_work" ("subject_id", "id");`);
    this.addSql(`create index "provisioning_work_target_id_id_index" on "provisioning_work" ("target_id", "id");`);

    this.addSql(`alter table "provisioning_work" add constraint "provisioning_work_target_id_foreign" foreign key ("target_id") references "provisioning_target" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter type "provisioning_outcome" add value if not exists 'PENDING' after 'COALESCED';`);

    this.addSql(`alter table "provisioning_target" add column "concurrency" int null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "provisioning_work" cascade;`);

    this.addSql(`alter table "provisioning_target" drop column "concurrency";`);
  }

}
