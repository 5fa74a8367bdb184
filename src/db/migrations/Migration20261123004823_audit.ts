import { Migration } from '@mikro-orm/migrations';

export class Migration20261123004823_audit extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "audit_entry" ("id" uuid not null, "occurred_at" timestamptz not null, "token_id" uuid not null, "role" varchar(32) not null, "organization_id" uuid null, "operation" varchar(128) not null, "arguments" jsonb not null, "outcome" varchar(64) not null, "change_seqs" text[] not null, constraint "audit_entry_pkey" primary key ("id"));`);
    this.addSql(`create index "audit_entry_organization_id_id_index" on "audit_entry" ("organization_id", "id");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "audit_entry" cascade;`);
  }

}
