import { Migration } from '@mikro-orm/migrations';

export class Migration20261207143720_event_target_success extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create index "provisioning_event_target_success" on "provisioning_event" ("target_id", "seq") where "outcome" = 'SUCCEEDED';`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index "provisioning_event_target_success";`);
  }

}
