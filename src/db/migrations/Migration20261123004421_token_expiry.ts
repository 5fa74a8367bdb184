import { Migration } from '@mikro-orm/migrations';

export class Migration20261123004421_token_expiry extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table "api_token" add column "expires_at" timestamptz null, add column "last_used_at" timestamptz null;`);
    this.addSql(`create index "api_token_prefix_index" on "api_token" ("prefix");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index "api_token_prefix_index";`);
    this.addSql(`alter table "api_token" drop column "expires_at", drop column "last_used_at";`);
  }

}
