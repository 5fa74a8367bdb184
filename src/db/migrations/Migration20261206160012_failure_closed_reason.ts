import { Migration } from '@mikro-orm/migrations';

export class Migration20261206160012_failure_closed_reason extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table "failure_notification" add column "closed_reason" varchar(128) null;`);
    // Notifications left open by subjects deleted before this version (failed deletes excepted).
    this.addSql(`update "failure_notification" f set "resolved_at" = now(), "will_retry" = false, "closed_reason" = 'subject deleted'
      where f."resolved_at" is null and f."action" not in ('PERSON_DELETED', 'GROUP_DELETED', 'SERVICE_DELETED')
        and ((f."subject_type" = 'PERSON' and not exists (select 1 from "person" s where s."id" = f."subject_id"))
          or (f."subject_type" = 'GROUP' and not exists (select 1 from "group" s where s."id" = f."subject_id"))
          or (f."subject_type" = 'SERVICE' and not exists (select 1 from "service" s where s."id" = f."subject_id")));`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "failure_notification" drop column "closed_reason";`);
  }

}
