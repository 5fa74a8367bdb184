import { Migration } from '@mikro-orm/migrations';

export class Migration20261207023018_imports extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create type "import_format" as enum ('CSV', 'LDIF', 'SCIM', 'FERRY_JSON');`);
    this.addSql(`create type "import_state" as enum ('QUEUED', 'RUNNING', 'DONE', 'FAILED', 'CANCELLED');`);
    this.addSql(`create table "import_run" ("id" uuid not null, "organization_id" uuid not null, "format" "import_format" not null, "match_by" varchar(64) not null, "dry_run" boolean not null default false, "remove_missing" boolean not null default false, "all_or_nothing" boolean not null default false, "state" "import_state" not null default 'QUEUED', "document" text null, "job_id" varchar(64) null, "report" jsonb null, "error" text null, "requested_by_token_id" uuid null, "created_at" timestamptz not null, "finished_at" timestamptz null, constraint "import_run_pkey" primary key ("id"));`);
    this.addSql(`create index "import_run_organization_id_created_at_index" on "import_run" ("organization_id", "created_at");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "import_run" cascade;`);

    this.addSql(`drop type "import_format";`);
    this.addSql(`drop type "import_state";`);
  }

}
