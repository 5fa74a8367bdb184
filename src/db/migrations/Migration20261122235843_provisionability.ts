import { Migration } from '@mikro-orm/migrations';

export class Migration20261122235843_provisionability extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create type "group_selection" as enum ('ALL_GROUPS', 'FOLDER_RULES');`);
    this.addSql(`create type "folder_scope" as enum ('ONE', 'SUB');`);
    this.addSql(`create type "provisionability_source" as enum ('GROUP_ASSIGNMENT', 'FOLDER', 'NONE', 'DELETED');`);
    this.addSql(`create type "provisionability_filter" as enum ('POLICY', 'REGEX');`);
    this.addSql(`create table "provisioning_assignment" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "organization_id" uuid not null, "target_id" uuid not null, "folder_id" uuid null, "group_id" uuid null, "provision" boolean not null, "scope" "folder_scope" null, "metadata" jsonb null, "only_policy_groups" boolean null, "provisionable_regex" varchar(1024) null, constraint "provisioning_assignment_pkey" primary key ("id"));`);
    this.addSql(`create index "provisioning_assignment_organization_id_index" on "provisioning_assignment" ("organization_id");`);
    this.addSql(`create index "provisioning_assignment_folder_id_index" on "provisioning_assignment" ("folder_id");`);
    this.addSql(`create index "provisioning_assignment_group_id_index" on "provisioning_assignment" ("group_id");`);
    this.addSql(`create index "provisioning_assignment_organization_id_target_id_index" on "provisioning_assignment" ("organization_id", "target_id");`);
    this.addSql(`alter table "provisioning_assignment" add constraint "provisioning_assignment_target_id_group_id_unique" unique ("target_id", "group_id");`);
    this.addSql(`alter table "provisioning_assignment" add constraint "provisioning_assignment_target_id_folder_id_unique" unique ("target_id", "folder_id");`);

    this.addSql(`create table "group_provisionability" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "organization_id" uuid not null, "target_id" uuid not null, "group_id" uuid not null, "group_name" varchar(1024) not null, "provisionable" boolean not null, "provisionable_since" timestamptz null, "provisionable_until" timestamptz null, "source" "provisionability_source" not null, "deciding_folder_id" uuid null, "failed_filter" "provisionability_filter" null, "explanation" text not null, "metadata" jsonb null, constraint "group_provisionability_pkey" primary key ("id"));`);
    this.addSql(`create index "group_provisionability_organization_id_index" on "group_provisionability" ("organization_id");`);
    this.addSql(`alter table "group_provisionability" add constraint "group_provisionability_target_id_group_id_unique" unique ("target_id", "group_id");`);

    this.addSql(`alter table "provisioning_assignment" add constraint "provisioning_assignment_organization_id_foreign" foreign key ("organization_id") references "organization" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "provisioning_assignment" add constraint "provisioning_assignment_target_id_foreign" foreign key ("target_id") references "provisioning_target" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "provisioning_assignment" add constraint "provisioning_assignment_folder_id_foreign" foreign key ("folder_id") references "folder" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "provisioning_assignment" add constraint "provisioning_assignment_group_id_foreign" foreign key ("group_id") references "group" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "group_provisionability" add constraint "group_provisionability_target_id_foreign" foreign key ("target_id") references "provisioning_target" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "group" add column "policy" boolean not null default false;`);

    this.addSql(`alter table "provisioning_target" add column "group_selection" "group_selection" not null default 'ALL_GROUPS', add column "only_policy_groups" boolean not null default false, add column "provisionable_regex" varchar(1024) null, add column "allow_policy_group_override" boolean not null default true, add column "allow_regex_override" boolean not null default true, add column "keep_unprovisionable_groups" boolean not null default false;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "provisioning_assignment" cascade;`);

    this.addSql(`drop table if exists "group_provisionability" cascade;`);

    this.addSql(`alter table "group" drop column "policy";`);

    this.addSql(`alter table "provisioning_target" drop column "group_selection", drop column "only_policy_groups", drop column "provisionable_regex", drop column "allow_policy_group_override", drop column "allow_regex_override", drop column "keep_unprovisionable_groups";`);

    this.addSql(`drop type "group_selection";`);
    this.addSql(`drop type "folder_scope";`);
    this.addSql(`drop type "provisionability_source";`);
    this.addSql(`drop type "provisionability_filter";`);
  }

}
