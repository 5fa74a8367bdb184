import { Migration } from '@mikro-orm/migrations';

/**
 * Email lists are provisioned (COmanage LA/LU/LD/LR): the subject type EMAIL_LIST, the four LIST_*
 * actions, and the list's own address (written as `mail` by the LDAP target). Values added to an
 * enum cannot be used in the transaction that adds them; nothing here uses them.
 */
export class Migration20261207143526_email_list_provisioning extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table "email_list" add column "address" varchar(320) null;`);

    this.addSql(`alter type "subject_type" add value if not exists 'EMAIL_LIST' after 'SERVICE';`);

    this.addSql(`alter type "provisioning_action" add value if not exists 'LIST_ADDED' after 'SERVICE_REPROVISION_REQUESTED';`);
    this.addSql(`alter type "provisioning_action" add value if not exists 'LIST_UPDATED' after 'LIST_ADDED';`);
    this.addSql(`alter type "provisioning_action" add value if not exists 'LIST_DELETED' after 'LIST_UPDATED';`);
    this.addSql(`alter type "provisioning_action" add value if not exists 'LIST_REPROVISION_REQUESTED' after 'LIST_DELETED';`);
  }

  override async down(): Promise<void> {
    // PostgreSQL cannot drop enum values; the added ones stay (unused once the code is rolled back).
    this.addSql(`alter table "email_list" drop column "address";`);
  }

}
