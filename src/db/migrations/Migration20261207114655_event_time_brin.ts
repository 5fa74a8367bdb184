import { Migration } from '@mikro-orm/migrations';

export class Migration20261207114655_event_time_brin extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create index "provisioning_event_occurred_at_brin" on "provisioning_event" using brin ("occurred_at");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index "provisioning_event_occurred_at_brin";`);
  }

}
