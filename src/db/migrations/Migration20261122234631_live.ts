import { Migration } from '@mikro-orm/migrations';

export class Migration20261122234631_live extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "failure_notification" ("id" uuid not null, "organization_id" uuid not null, "target_id" uuid not null, "target_name" varchar(128) not null, "subject_type" "subject_type" not null, "subject_id" uuid not null, "subject_label" varchar(512) null, "action" "provisioning_action" not null, "error" text not null, "failures" int not null default 1, "will_retry" boolean not null default false, "first_event_seq" bigint not null, "last_event_seq" bigint not null, "first_failed_at" timestamptz not null, "last_failed_at" timestamptz not null, "resolved_at" timestamptz null, "resolved_by_event_seq" bigint null, constraint "failure_notification_pkey" primary key ("id"));`);
    this.addSql(`create unique index "failure_notification_open_unique" on "failure_notification" ("target_id", "subject_type", "subject_id") where "resolved_at" is null;`);
    this.addSql(`create index "failure_notification_organization_id_last_event_seq_index" on "failure_notification" ("organization_id", "last_event_seq");`);

    this.addSql(`alter table "failure_notification" add constraint "failure_notification_target_id_foreign" foreign key ("target_id") references "provisioning_target" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "provisioning_event" add column "subject_label" varchar(512) null;`);
    this.addSql(`create index "provisioning_event_job_id_index" on "provisioning_event" ("job_id");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "failure_notification" cascade;`);

    this.addSql(`drop index "provisioning_event_job_id_index";`);
    this.addSql(`alter table "provisioning_event" drop column "subject_label";`);
  }

}
