import { Migration } from '@mikro-orm/migrations';

export class Migration20261122222452_queue extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table "provisioning_event" add column "retryable" boolean not null default false;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "provisioning_event" drop column "retryable";`);
  }

}
