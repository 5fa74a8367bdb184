import { Migration } from '@mikro-orm/migrations';

export class Migration20261123001634_data_filters extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table "provisioning_target" add column "data_filters" jsonb not null default '[]';`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "provisioning_target" drop column "data_filters";`);
  }

}
