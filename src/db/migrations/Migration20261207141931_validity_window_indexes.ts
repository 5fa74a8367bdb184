import { Migration } from '@mikro-orm/migrations';

export class Migration20261207141931_validity_window_indexes extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create index "org_identity_link_valid_through_idx" on "org_identity_link" ("valid_through") where "valid_through" is not null;`);
    this.addSql(`create index "org_identity_link_valid_from_idx" on "org_identity_link" ("valid_from") where "valid_from" is not null;`);

    this.addSql(`create index "group_membership_valid_through_idx" on "group_membership" ("valid_through") where "valid_through" is not null;`);
    this.addSql(`create index "group_membership_valid_from_idx" on "group_membership" ("valid_from") where "valid_from" is not null;`);

    this.addSql(`create index "person_role_valid_through_idx" on "person_role" ("valid_through") where "valid_through" is not null;`);
    this.addSql(`create index "person_role_valid_from_idx" on "person_role" ("valid_from") where "valid_from" is not null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index "group_membership_valid_through_idx";`);
    this.addSql(`drop index "group_membership_valid_from_idx";`);

    this.addSql(`drop index "org_identity_link_valid_through_idx";`);
    this.addSql(`drop index "org_identity_link_valid_from_idx";`);

    this.addSql(`drop index "person_role_valid_through_idx";`);
    this.addSql(`drop index "person_role_valid_from_idx";`);
  }

}
