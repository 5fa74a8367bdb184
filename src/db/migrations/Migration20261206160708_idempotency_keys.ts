import { Migration } from '@mikro-orm/migrations';

export class Migration20261206160708_idempotency_keys extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "idempotency_key" ("id" uuid not null, "token_id" uuid not null, "organization_id" uuid null, "key" varchar(200) not null, "request_hash" varchar(64) not null, "response_status" int null, "response_body" text null, "committed_at" timestamptz null, "created_at" timestamptz not null, constraint "idempotency_key_pkey" primary key ("id"));`);
    this.addSql(`create index "idempotency_key_created_at_index" on "idempotency_key" ("created_at");`);
    this.addSql(`alter table "idempotency_key" add constraint "idempotency_key_token_id_key_unique" unique ("token_id", "key");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "idempotency_key" cascade;`);
  }

}
