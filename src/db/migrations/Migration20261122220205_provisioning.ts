import { Migration } from '@mikro-orm/migrations';

export class Migration20261122220205_provisioning extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create type "subject_type" as enum ('PERSON', 'GROUP', 'SERVICE');`);
    this.addSql(`create type "provisioning_action" as enum ('PERSON_ADDED', 'PERSON_UPDATED', 'PERSON_DELETED', 'PERSON_EXPIRED', 'PERSON_UNEXPIRED', 'PERSON_ENTERED_GRACE_PERIOD', 'PERSON_REPROVISION_REQUESTED', 'PERSON_ENROLLMENT_FINISHED', 'GROUP_ADDED', 'GROUP_UPDATED', 'GROUP_DELETED', 'GROUP_REPROVISION_REQUESTED', 'SERVICE_ADDED', 'SERVICE_UPDATED', 'SERVICE_DELETED', 'SERVICE_REPROVISION_REQUESTED');`);
    this.addSql(`create type "provisioning_outcome" as enum ('SUCCEEDED', 'FAILED', 'SKIPPED', 'QUEUED', 'RETRY_SCHEDULED', 'COALESCED');`);
    this.addSql(`create type "provisioning_mode" as enum ('AUTOMATIC', 'MANUAL', 'ENROLLMENT', 'QUEUE', 'QUEUE_ON_ERROR', 'DISABLED');`);
    this.addSql(`create type "provisioning_status" as enum ('PROVISIONED', 'NOT_PROVISIONED', 'FAILED', 'QUEUED');`);
    this.addSql(`create table "engine_cursor" ("name" varchar(64) not null, "seq" bigint not null default '0', "updated_at" timestamptz not null, constraint "engine_cursor_pkey" primary key ("name"));`);

    this.addSql(`create table "provisioning_event" ("seq" bigserial primary key, "organization_id" uuid not null, "target_id" uuid not null, "target_name" varchar(128) not null, "subject_type" "subject_type" not null, "subject_id" uuid not null, "action" "provisioning_action" not null, "outcome" "provisioning_outcome" not null, "detail" text null, "error" text null, "attempt" int not null default 1, "duration_ms" int not null default 0, "job_id" varchar(64) null, "change_seq" bigint null, "occurred_at" timestamptz not null);`);
    this.addSql(`create index "provisioning_event_target_id_subject_id_index" on "provisioning_event" ("target_id", "subject_id");`);
    this.addSql(`create index "provisioning_event_change_seq_index" on "provisioning_event" ("change_seq");`);
    this.addSql(`create index "provisioning_event_organization_id_seq_index" on "provisioning_event" ("organization_id", "seq");`);

    this.addSql(`create table "provisioning_target" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "organization_id" uuid not null, "name" varchar(128) not null, "plugin" varchar(32) not null, "config" jsonb not null, "secrets" jsonb not null, "mode" "provisioning_mode" not null default 'AUTOMATIC', "order" int not null, "provisioning_group_id" uuid null, "skip_if_from_source_id" uuid null, "retry_interval_seconds" int not null default 900, "max_retries" int not null default 3, constraint "provisioning_target_pkey" primary key ("id"));`);
    this.addSql(`create index "provisioning_target_organization_id_index" on "provisioning_target" ("organization_id");`);
    this.addSql(`alter table "provisioning_target" add constraint "provisioning_target_organization_id_name_unique" unique ("organization_id", "name");`);

    this.addSql(`create table "provisioned_state" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "target_id" uuid not null, "organization_id" uuid not null, "subject_type" "subject_type" not null, "subject_id" uuid not null, "status" "provisioning_status" not null default 'NOT_PROVISIONED', "last_action" "provisioning_action" null, "last_attempt_at" timestamptz null, "last_success_at" timestamptz null, "last_error" text null, "remote_id" text null, constraint "provisioned_state_pkey" primary key ("id"));`);
    this.addSql(`create index "provisioned_state_subject_id_index" on "provisioned_state" ("subject_id");`);
    this.addSql(`alter table "provisioned_state" add constraint "provisioned_state_target_id_subject_type_subject_id_unique" unique ("target_id", "subject_type", "subject_id");`);

    this.addSql(`alter table "provisioning_target" add constraint "provisioning_target_organization_id_foreign" foreign key ("organization_id") references "organization" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "provisioning_target" add constraint "provisioning_target_provisioning_group_id_foreign" foreign key ("provisioning_group_id") references "group" ("id") on update cascade on delete restrict;`);
    this.addSql(`alter table "provisioning_target" add constraint "provisioning_target_skip_if_from_source_id_foreign" foreign key ("skip_if_from_source_id") references "org_identity_source" ("id") on update cascade on delete set null;`);

    this.addSql(`alter table "provisioned_state" add constraint "provisioned_state_target_id_foreign" foreign key ("target_id") references "provisioning_target" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "change_log_entry" add column "transaction_id" bigint null default txid_current();`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "provisioned_state" drop constraint "provisioned_state_target_id_foreign";`);

    this.addSql(`drop table if exists "engine_cursor" cascade;`);

    this.addSql(`drop table if exists "provisioning_event" cascade;`);

    this.addSql(`drop table if exists "provisioning_target" cascade;`);

    this.addSql(`drop table if exists "provisioned_state" cascade;`);

    this.addSql(`alter table "change_log_entry" drop column "transaction_id";`);

    this.addSql(`drop type "subject_type";`);
    this.addSql(`drop type "provisioning_action";`);
    this.addSql(`drop type "provisioning_outcome";`);
    this.addSql(`drop type "provisioning_mode";`);
    this.addSql(`drop type "provisioning_status";`);
  }

}
