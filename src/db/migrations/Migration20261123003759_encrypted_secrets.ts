import { Migration } from '@mikro-orm/migrations';

export class Migration20261123003759_encrypted_secrets extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table "provisioning_target" alter column "secrets" type text using ("secrets"::text);`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "provisioning_target" alter column "secrets" type jsonb using ("secrets"::jsonb);`);
  }

}
