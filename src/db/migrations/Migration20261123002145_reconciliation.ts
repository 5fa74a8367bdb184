import { Migration } from '@mikro-orm/migrations';

export class Migration20261123002145_reconciliation extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create type "reconciliation_status" as enum ('RUNNING', 'COMPLETED', 'BLOCKED', 'FAILED');`);
    this.addSql(`create type "reconciliation_difference_kind" as enum ('MISSING', 'EXTRA', 'DIFFERENT');`);
    this.addSql(`create table "reconciliation_run" ("id" uuid not null, "organization_id" uuid not null, "target_id" uuid not null, "job_id" varchar(64) null, "dry_run" boolean not null, "confirm_deletions" boolean not null default false, "status" "reconciliation_status" not null default 'RUNNING', "reason" text null, "remote_objects" int not null default 0, "subjects" int not null default 0, "missing" int not null default 0, "extra" int not null default 0, "different" int not null default 0, "deletions" int not null default 0, "applied" int not null default 0, "failed" int not null default 0, "started_at" timestamptz not null, "finished_at" timestamptz null, constraint "reconciliation_run_pkey" primary key ("id"));`);
    this.addSql(`create index "reconciliation_run_target_id_started_at_index" on "reconciliation_run" ("target_id", "started_at");`);

    this.addSql(`create table "reconciliation_difference" ("id" uuid not null, "run_id" uuid not null, "kind" "reconciliation_difference_kind" not null, "subject_type" "subject_type" not null, "subject_id" uuid null, "remote_id" text null, "label" text not null, "attributes" jsonb not null, "fix" text not null, "deletes" boolean not null default false, "applied" boolean not null default false, "error" text null, constraint "reconciliation_difference_pkey" primary key ("id"));`);
    this.addSql(`create index "reconciliation_difference_run_id_index" on "reconciliation_difference" ("run_id");`);

    this.addSql(`alter table "reconciliation_run" add constraint "reconciliation_run_target_id_foreign" foreign key ("target_id") references "provisioning_target" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "reconciliation_difference" add constraint "reconciliation_difference_run_id_foreign" foreign key ("run_id") references "reconciliation_run" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "provisioning_target" add column "deletion_threshold_percent" int not null default 20, add column "reconcile_deletes_orphans" boolean not null default false, add column "reconcile_schedule" varchar(128) null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "reconciliation_difference" drop constraint "reconciliation_difference_run_id_foreign";`);

    this.addSql(`drop table if exists "reconciliation_run" cascade;`);

    this.addSql(`drop table if exists "reconciliation_difference" cascade;`);

    this.addSql(`alter table "provisioning_target" drop column "deletion_threshold_percent", drop column "reconcile_deletes_orphans", drop column "reconcile_schedule";`);

    this.addSql(`drop type "reconciliation_status";`);
    this.addSql(`drop type "reconciliation_difference_kind";`);
  }

}
