import { Migration } from '@mikro-orm/migrations';

export class Migration20261122210447_initial extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create type "change_kind" as enum ('CREATED', 'UPDATED', 'DELETED');`);
    this.addSql(`create type "record_status" as enum ('ACTIVE', 'SUSPENDED');`);
    this.addSql(`create type "group_type" as enum ('STANDARD', 'ADMINS', 'MEMBERS_ALL', 'MEMBERS_ACTIVE');`);
    this.addSql(`create type "role" as enum ('PLATFORM_ADMIN', 'ORG_ADMIN', 'ORG_READER');`);
    this.addSql(`create type "person_status" as enum ('ACTIVE', 'APPROVED', 'CONFIRMED', 'DECLINED', 'DELETED', 'DENIED', 'DUPLICATE', 'EXPIRED', 'GRACE_PERIOD', 'INVITED', 'LOCKED', 'PENDING', 'PENDING_APPROVAL', 'PENDING_CONFIRMATION', 'PENDING_VETTING', 'SUSPENDED');`);
    this.addSql(`create type "name_type" as enum ('OFFICIAL', 'PREFERRED', 'ALTERNATIVE', 'AUTHOR', 'FKA');`);
    this.addSql(`create type "email_type" as enum ('OFFICIAL', 'PERSONAL', 'PREFERRED', 'DELIVERY', 'FORWARDING', 'RECOVERY');`);
    this.addSql(`create type "affiliation" as enum ('FACULTY', 'STUDENT', 'STAFF', 'ALUM', 'MEMBER', 'AFFILIATE', 'EMPLOYEE', 'LIBRARY_WALK_IN');`);
    this.addSql(`create type "address_type" as enum ('CAMPUS', 'HOME', 'OFFICE', 'POSTAL', 'FORWARDING');`);
    this.addSql(`create type "telephone_type" as enum ('CAMPUS', 'FAX', 'HOME', 'MOBILE', 'OFFICE');`);
    this.addSql(`create type "url_type" as enum ('OFFICIAL', 'PERSONAL');`);
    this.addSql(`create table "change_log_entry" ("seq" bigserial primary key, "organization_id" uuid not null, "entity_type" varchar(64) not null, "entity_id" uuid not null, "kind" "change_kind" not null, "changed_fields" text[] not null, "person_id" uuid null, "group_id" uuid null, "data" jsonb null, "actor_token_id" uuid null, "occurred_at" timestamptz not null);`);
    this.addSql(`create index "change_log_entry_group_id_seq_index" on "change_log_entry" ("group_id", "seq");`);
    this.addSql(`create index "change_log_entry_person_id_seq_index" on "change_log_entry" ("person_id", "seq");`);
    this.addSql(`create index "change_log_entry_organization_id_seq_index" on "change_log_entry" ("organization_id", "seq");`);

    this.addSql(`create table "organization" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "name" varchar(128) not null, "description" text null, "status" "record_status" not null default 'ACTIVE', constraint "organization_pkey" primary key ("id"));`);
    this.addSql(`alter table "organization" add constraint "organization_name_unique" unique ("name");`);

    this.addSql(`create table "folder" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "organization_id" uuid not null, "name" varchar(255) not null, "full_name" varchar(1024) not null, "description" text null, "parent_id" uuid null, "system" boolean not null default false, constraint "folder_pkey" primary key ("id"));`);
    this.addSql(`create index "folder_organization_id_index" on "folder" ("organization_id");`);
    this.addSql(`create index "folder_parent_id_index" on "folder" ("parent_id");`);
    this.addSql(`alter table "folder" add constraint "folder_organization_id_full_name_unique" unique ("organization_id", "full_name");`);

    this.addSql(`create table "cou" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "organization_id" uuid not null, "name" varchar(128) not null, "description" text null, "parent_id" uuid null, constraint "cou_pkey" primary key ("id"));`);
    this.addSql(`create index "cou_organization_id_index" on "cou" ("organization_id");`);
    this.addSql(`alter table "cou" add constraint "cou_organization_id_name_unique" unique ("organization_id", "name");`);

    this.addSql(`create table "group" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "organization_id" uuid not null, "folder_id" uuid not null, "name" varchar(255) not null, "full_name" varchar(1024) not null, "description" text null, "status" "record_status" not null default 'ACTIVE', "type" "group_type" not null default 'STANDARD', "cou_id" uuid null, constraint "group_pkey" primary key ("id"));`);
    this.addSql(`create index "group_organization_id_index" on "group" ("organization_id");`);
    this.addSql(`create index "group_folder_id_index" on "group" ("folder_id");`);
    this.addSql(`create index "group_cou_id_index" on "group" ("cou_id");`);
    this.addSql(`create index "group_organization_id_type_index" on "group" ("organization_id", "type");`);
    this.addSql(`alter table "group" add constraint "group_organization_id_full_name_unique" unique ("organization_id", "full_name");`);

    this.addSql(`create table "group_nesting" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "organization_id" uuid not null, "group_id" uuid not null, "nested_group_id" uuid not null, constraint "group_nesting_pkey" primary key ("id"));`);
    this.addSql(`create index "group_nesting_organization_id_index" on "group_nesting" ("organization_id");`);
    this.addSql(`create index "group_nesting_group_id_index" on "group_nesting" ("group_id");`);
    this.addSql(`create index "group_nesting_nested_group_id_index" on "group_nesting" ("nested_group_id");`);
    this.addSql(`alter table "group_nesting" add constraint "group_nesting_group_id_nested_group_id_unique" unique ("group_id", "nested_group_id");`);

    this.addSql(`create table "email_list" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "organization_id" uuid not null, "name" varchar(128) not null, "description" text null, "status" "record_status" not null default 'ACTIVE', "members_group_id" uuid null, "admins_group_id" uuid null, "moderators_group_id" uuid null, constraint "email_list_pkey" primary key ("id"));`);
    this.addSql(`create index "email_list_organization_id_index" on "email_list" ("organization_id");`);
    this.addSql(`alter table "email_list" add constraint "email_list_organization_id_name_unique" unique ("organization_id", "name");`);

    this.addSql(`create table "department" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "organization_id" uuid not null, "name" varchar(128) not null, "description" text null, "kind" varchar(64) null, "cou_id" uuid null, "leadership_group_id" uuid null, "administrative_group_id" uuid null, constraint "department_pkey" primary key ("id"));`);
    this.addSql(`create index "department_organization_id_index" on "department" ("organization_id");`);
    this.addSql(`alter table "department" add constraint "department_organization_id_name_unique" unique ("organization_id", "name");`);

    this.addSql(`create table "api_token" ("id" uuid not null, "name" varchar(128) not null, "secret_hash" varchar(64) not null, "prefix" varchar(16) not null, "role" "role" not null, "organization_id" uuid null, "created_at" timestamptz not null, "created_by_token_id" uuid null, "revoked_at" timestamptz null, constraint "api_token_pkey" primary key ("id"));`);
    this.addSql(`alter table "api_token" add constraint "api_token_secret_hash_unique" unique ("secret_hash");`);
    this.addSql(`create index "api_token_organization_id_index" on "api_token" ("organization_id");`);

    this.addSql(`create table "org_identity_source" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "organization_id" uuid not null, "name" varchar(128) not null, "description" text null, "kind" varchar(64) not null, "status" "record_status" not null default 'ACTIVE', constraint "org_identity_source_pkey" primary key ("id"));`);
    this.addSql(`create index "org_identity_source_organization_id_index" on "org_identity_source" ("organization_id");`);
    this.addSql(`alter table "org_identity_source" add constraint "org_identity_source_organization_id_name_unique" unique ("organization_id", "name");`);

    this.addSql(`create table "person" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "organization_id" uuid not null, "status" "person_status" not null default 'PENDING', "date_of_birth" date null, "timezone" varchar(64) null, "enrollment_finished_at" timestamptz null, constraint "person_pkey" primary key ("id"));`);
    this.addSql(`create index "person_organization_id_index" on "person" ("organization_id");`);
    this.addSql(`create index "person_organization_id_status_index" on "person" ("organization_id", "status");`);

    this.addSql(`create table "org_identity_link" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "organization_id" uuid not null, "person_id" uuid not null, "source_id" uuid not null, "source_key" varchar(512) not null, "valid_from" timestamptz null, "valid_through" timestamptz null, constraint "org_identity_link_pkey" primary key ("id"));`);
    this.addSql(`create index "org_identity_link_organization_id_index" on "org_identity_link" ("organization_id");`);
    this.addSql(`create index "org_identity_link_person_id_index" on "org_identity_link" ("person_id");`);
    this.addSql(`create index "org_identity_link_source_id_index" on "org_identity_link" ("source_id");`);
    this.addSql(`alter table "org_identity_link" add constraint "org_identity_link_source_id_source_key_unique" unique ("source_id", "source_key");`);

    this.addSql(`create table "name" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "organization_id" uuid not null, "person_id" uuid not null, "type" "name_type" not null default 'OFFICIAL', "honorific" varchar(64) null, "given" varchar(128) not null, "middle" varchar(128) null, "family" varchar(128) null, "suffix" varchar(64) null, "language" varchar(16) null, "primary" boolean not null default false, constraint "name_pkey" primary key ("id"));`);
    this.addSql(`create index "name_organization_id_index" on "name" ("organization_id");`);
    this.addSql(`create index "name_person_id_index" on "name" ("person_id");`);
    this.addSql(`create index "name_organization_id_family_index" on "name" ("organization_id", "family");`);
    this.addSql(`create unique index "name_one_primary_per_person" on "name" ("person_id") where "primary";`);

    this.addSql(`create table "identifier" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "organization_id" uuid not null, "person_id" uuid null, "group_id" uuid null, "type" varchar(64) not null, "value" varchar(512) not null, "status" "record_status" not null default 'ACTIVE', "login" boolean not null default false, constraint "identifier_pkey" primary key ("id"), constraint identifier_one_owner check (("person_id" is null) <> ("group_id" is null)));`);
    this.addSql(`create index "identifier_organization_id_index" on "identifier" ("organization_id");`);
    this.addSql(`create index "identifier_person_id_index" on "identifier" ("person_id");`);
    this.addSql(`create index "identifier_group_id_index" on "identifier" ("group_id");`);
    this.addSql(`create index "identifier_organization_id_value_index" on "identifier" ("organization_id", "value");`);
    this.addSql(`create unique index "identifier_active_type_value_unique" on "identifier" ("organization_id", "type", "value") where "status" = 'ACTIVE';`);

    this.addSql(`create table "group_membership" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "organization_id" uuid not null, "group_id" uuid not null, "person_id" uuid not null, "nesting_id" uuid null, "member" boolean not null default true, "owner" boolean not null default false, "valid_from" timestamptz null, "valid_through" timestamptz null, constraint "group_membership_pkey" primary key ("id"));`);
    this.addSql(`create index "group_membership_organization_id_index" on "group_membership" ("organization_id");`);
    this.addSql(`create index "group_membership_group_id_index" on "group_membership" ("group_id");`);
    this.addSql(`create index "group_membership_person_id_index" on "group_membership" ("person_id");`);
    this.addSql(`create index "group_membership_nesting_id_index" on "group_membership" ("nesting_id");`);
    this.addSql(`create unique index "group_membership_nested_unique" on "group_membership" ("group_id", "person_id", "nesting_id") where "nesting_id" is not null;`);
    this.addSql(`create unique index "group_membership_direct_unique" on "group_membership" ("group_id", "person_id") where "nesting_id" is null;`);

    this.addSql(`create table "email_address" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "organization_id" uuid not null, "person_id" uuid not null, "mail" varchar(320) not null, "type" "email_type" not null default 'OFFICIAL', "verified" boolean not null default false, constraint "email_address_pkey" primary key ("id"));`);
    this.addSql(`create index "email_address_organization_id_index" on "email_address" ("organization_id");`);
    this.addSql(`create index "email_address_person_id_index" on "email_address" ("person_id");`);
    this.addSql(`create index "email_address_organization_id_mail_index" on "email_address" ("organization_id", "mail");`);

    this.addSql(`create table "person_role" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "organization_id" uuid not null, "person_id" uuid not null, "cou_id" uuid null, "status" "person_status" not null default 'ACTIVE', "affiliation" "affiliation" not null default 'MEMBER', "title" varchar(256) null, "o" varchar(256) null, "ou" varchar(256) null, "valid_from" timestamptz null, "valid_through" timestamptz null, "order" int not null default 0, constraint "person_role_pkey" primary key ("id"));`);
    this.addSql(`create index "person_role_organization_id_index" on "person_role" ("organization_id");`);
    this.addSql(`create index "person_role_person_id_index" on "person_role" ("person_id");`);
    this.addSql(`create index "person_role_cou_id_index" on "person_role" ("cou_id");`);

    this.addSql(`create table "ad_hoc_attribute" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "organization_id" uuid not null, "person_id" uuid not null, "role_id" uuid not null, "tag" varchar(128) not null, "value" varchar(1024) null, constraint "ad_hoc_attribute_pkey" primary key ("id"));`);
    this.addSql(`create index "ad_hoc_attribute_organization_id_index" on "ad_hoc_attribute" ("organization_id");`);
    this.addSql(`create index "ad_hoc_attribute_person_id_index" on "ad_hoc_attribute" ("person_id");`);
    this.addSql(`create index "ad_hoc_attribute_role_id_index" on "ad_hoc_attribute" ("role_id");`);

    this.addSql(`create table "address" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "organization_id" uuid not null, "person_id" uuid not null, "role_id" uuid not null, "type" "address_type" not null default 'OFFICE', "street" varchar(512) null, "room" varchar(64) null, "locality" varchar(128) null, "state" varchar(128) null, "postal_code" varchar(32) null, "country" varchar(128) null, "language" varchar(16) null, constraint "address_pkey" primary key ("id"));`);
    this.addSql(`create index "address_organization_id_index" on "address" ("organization_id");`);
    this.addSql(`create index "address_person_id_index" on "address" ("person_id");`);
    this.addSql(`create index "address_role_id_index" on "address" ("role_id");`);

    this.addSql(`create table "service" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "organization_id" uuid not null, "name" varchar(128) not null, "description" text null, "short_label" varchar(64) null, "entitlement_uri" varchar(1024) null, "service_url" varchar(2048) null, "group_id" uuid null, "status" "record_status" not null default 'ACTIVE', constraint "service_pkey" primary key ("id"));`);
    this.addSql(`create index "service_organization_id_index" on "service" ("organization_id");`);
    this.addSql(`create index "service_group_id_index" on "service" ("group_id");`);
    this.addSql(`alter table "service" add constraint "service_organization_id_name_unique" unique ("organization_id", "name");`);

    this.addSql(`create table "telephone_number" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "organization_id" uuid not null, "person_id" uuid not null, "role_id" uuid not null, "type" "telephone_type" not null default 'OFFICE', "country_code" varchar(8) null, "area_code" varchar(16) null, "number" varchar(64) not null, "extension" varchar(16) null, constraint "telephone_number_pkey" primary key ("id"));`);
    this.addSql(`create index "telephone_number_organization_id_index" on "telephone_number" ("organization_id");`);
    this.addSql(`create index "telephone_number_person_id_index" on "telephone_number" ("person_id");`);
    this.addSql(`create index "telephone_number_role_id_index" on "telephone_number" ("role_id");`);

    this.addSql(`create table "terms_and_conditions" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "organization_id" uuid not null, "name" varchar(128) not null, "url" varchar(2048) not null, "status" "record_status" not null default 'ACTIVE', "cou_id" uuid null, constraint "terms_and_conditions_pkey" primary key ("id"));`);
    this.addSql(`create index "terms_and_conditions_organization_id_index" on "terms_and_conditions" ("organization_id");`);
    this.addSql(`alter table "terms_and_conditions" add constraint "terms_and_conditions_organization_id_name_unique" unique ("organization_id", "name");`);

    this.addSql(`create table "terms_agreement" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "organization_id" uuid not null, "person_id" uuid not null, "terms_id" uuid not null, "agreed_at" timestamptz not null, constraint "terms_agreement_pkey" primary key ("id"));`);
    this.addSql(`create index "terms_agreement_organization_id_index" on "terms_agreement" ("organization_id");`);
    this.addSql(`create index "terms_agreement_person_id_index" on "terms_agreement" ("person_id");`);
    this.addSql(`create index "terms_agreement_terms_id_index" on "terms_agreement" ("terms_id");`);
    this.addSql(`alter table "terms_agreement" add constraint "terms_agreement_person_id_terms_id_unique" unique ("person_id", "terms_id");`);

    this.addSql(`create table "url" ("id" uuid not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "organization_id" uuid not null, "person_id" uuid not null, "url" varchar(2048) not null, "type" "url_type" not null default 'OFFICIAL', "description" varchar(256) null, constraint "url_pkey" primary key ("id"));`);
    this.addSql(`create index "url_organization_id_index" on "url" ("organization_id");`);
    this.addSql(`create index "url_person_id_index" on "url" ("person_id");`);

    this.addSql(`alter table "folder" add constraint "folder_organization_id_foreign" foreign key ("organization_id") references "organization" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "folder" add constraint "folder_parent_id_foreign" foreign key ("parent_id") references "folder" ("id") on update cascade on delete restrict;`);

    this.addSql(`alter table "cou" add constraint "cou_organization_id_foreign" foreign key ("organization_id") references "organization" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "cou" add constraint "cou_parent_id_foreign" foreign key ("parent_id") references "cou" ("id") on update cascade on delete restrict;`);

    this.addSql(`alter table "group" add constraint "group_organization_id_foreign" foreign key ("organization_id") references "organization" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "group" add constraint "group_folder_id_foreign" foreign key ("folder_id") references "folder" ("id") on update cascade on delete restrict;`);
    this.addSql(`alter table "group" add constraint "group_cou_id_foreign" foreign key ("cou_id") references "cou" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "group_nesting" add constraint "group_nesting_organization_id_foreign" foreign key ("organization_id") references "organization" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "group_nesting" add constraint "group_nesting_group_id_foreign" foreign key ("group_id") references "group" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "group_nesting" add constraint "group_nesting_nested_group_id_foreign" foreign key ("nested_group_id") references "group" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "email_list" add constraint "email_list_organization_id_foreign" foreign key ("organization_id") references "organization" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "email_list" add constraint "email_list_members_group_id_foreign" foreign key ("members_group_id") references "group" ("id") on update cascade on delete set null;`);
    this.addSql(`alter table "email_list" add constraint "email_list_admins_group_id_foreign" foreign key ("admins_group_id") references "group" ("id") on update cascade on delete set null;`);
    this.addSql(`alter table "email_list" add constraint "email_list_moderators_group_id_foreign" foreign key ("moderators_group_id") references "group" ("id") on update cascade on delete set null;`);

    this.addSql(`alter table "department" add constraint "department_organization_id_foreign" foreign key ("organization_id") references "organization" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "department" add constraint "department_cou_id_foreign" foreign key ("cou_id") references "cou" ("id") on update cascade on delete set null;`);
    this.addSql(`alter table "department" add constraint "department_leadership_group_id_foreign" foreign key ("leadership_group_id") references "group" ("id") on update cascade on delete set null;`);
    this.addSql(`alter table "department" add constraint "department_administrative_group_id_foreign" foreign key ("administrative_group_id") references "group" ("id") on update cascade on delete set null;`);

    this.addSql(`alter table "api_token" add constraint "api_token_organization_id_foreign" foreign key ("organization_id") references "organization" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "org_identity_source" add constraint "org_identity_source_organization_id_foreign" foreign key ("organization_id") references "organization" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "person" add constraint "person_organization_id_foreign" foreign key ("organization_id") references "organization" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "org_identity_link" add constraint "org_identity_link_organization_id_foreign" foreign key ("organization_id") references "organization" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "org_identity_link" add constraint "org_identity_link_person_id_foreign" foreign key ("person_id") references "person" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "org_identity_link" add constraint "org_identity_link_source_id_foreign" foreign key ("source_id") references "org_identity_source" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "name" add constraint "name_organization_id_foreign" foreign key ("organization_id") references "organization" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "name" add constraint "name_person_id_foreign" foreign key ("person_id") references "person" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "identifier" add constraint "identifier_organization_id_foreign" foreign key ("organization_id") references "organization" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "identifier" add constraint "identifier_person_id_foreign" foreign key ("person_id") references "person" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "identifier" add constraint "identifier_group_id_foreign" foreign key ("group_id") references "group" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "group_membership" add constraint "group_membership_organization_id_foreign" foreign key ("organization_id") references "organization" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "group_membership" add constraint "group_membership_group_id_foreign" foreign key ("group_id") references "group" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "group_membership" add constraint "group_membership_person_id_foreign" foreign key ("person_id") references "person" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "group_membership" add constraint "group_membership_nesting_id_foreign" foreign key ("nesting_id") references "group_nesting" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "email_address" add constraint "email_address_organization_id_foreign" foreign key ("organization_id") references "organization" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "email_address" add constraint "email_address_person_id_foreign" foreign key ("person_id") references "person" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "person_role" add constraint "person_role_organization_id_foreign" foreign key ("organization_id") references "organization" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "person_role" add constraint "person_role_person_id_foreign" foreign key ("person_id") references "person" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "person_role" add constraint "person_role_cou_id_foreign" foreign key ("cou_id") references "cou" ("id") on update cascade on delete restrict;`);

    this.addSql(`alter table "ad_hoc_attribute" add constraint "ad_hoc_attribute_organization_id_foreign" foreign key ("organization_id") references "organization" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "ad_hoc_attribute" add constraint "ad_hoc_attribute_person_id_foreign" foreign key ("person_id") references "person" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "ad_hoc_attribute" add constraint "ad_hoc_attribute_role_id_foreign" foreign key ("role_id") references "person_role" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "address" add constraint "address_organization_id_foreign" foreign key ("organization_id") references "organization" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "address" add constraint "address_person_id_foreign" foreign key ("person_id") references "person" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "address" add constraint "address_role_id_foreign" foreign key ("role_id") references "person_role" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "service" add constraint "service_organization_id_foreign" foreign key ("organization_id") references "organization" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "service" add constraint "service_group_id_foreign" foreign key ("group_id") references "group" ("id") on update cascade on delete set null;`);

    this.addSql(`alter table "telephone_number" add constraint "telephone_number_organization_id_foreign" foreign key ("organization_id") references "organization" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "telephone_number" add constraint "telephone_number_person_id_foreign" foreign key ("person_id") references "person" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "telephone_number" add constraint "telephone_number_role_id_foreign" foreign key ("role_id") references "person_role" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "terms_and_conditions" add constraint "terms_and_conditions_organization_id_foreign" foreign key ("organization_id") references "organization" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "terms_and_conditions" add constraint "terms_and_conditions_cou_id_foreign" foreign key ("cou_id") references "cou" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "terms_agreement" add constraint "terms_agreement_organization_id_foreign" foreign key ("organization_id") references "organization" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "terms_agreement" add constraint "terms_agreement_person_id_foreign" foreign key ("person_id") references "person" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "terms_agreement" add constraint "terms_agreement_terms_id_foreign" foreign key ("terms_id") references "terms_and_conditions" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "url" add constraint "url_organization_id_foreign" foreign key ("organization_id") references "organization" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "url" add constraint "url_person_id_foreign" foreign key ("person_id") references "person" ("id") on update cascade on delete cascade;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "folder" drop constraint "folder_organization_id_foreign";`);

    this.addSql(`alter table "cou" drop constraint "cou_organization_id_foreign";`);

    this.addSql(`alter table "group" drop constraint "group_organization_id_foreign";`);

    this.addSql(`alter table "group_nesting" drop constraint "group_nesting_organization_id_foreign";`);

    this.addSql(`alter table "email_list" drop constraint "email_list_organization_id_foreign";`);

    this.addSql(`alter table "department" drop constraint "department_organization_id_foreign";`);

    this.addSql(`alter table "api_token" drop constraint "api_token_organization_id_foreign";`);

    this.addSql(`alter table "org_identity_source" drop constraint "org_identity_source_organization_id_foreign";`);

    this.addSql(`alter table "person" drop constraint "person_organization_id_foreign";`);

    this.addSql(`alter table "org_identity_link" drop constraint "org_identity_link_organization_id_foreign";`);

    this.addSql(`alter table "name" drop constraint "name_organization_id_foreign";`);

    this.addSql(`alter table "identifier" drop constraint "identifier_organization_id_foreign";`);

    this.addSql(`alter table "group_membership" drop constraint "group_membership_organization_id_foreign";`);

    this.addSql(`alter table "email_address" drop constraint "email_address_organization_id_foreign";`);

    this.addSql(`alter table "person_role" drop constraint "person_role_organization_id_foreign";`);

    this.addSql(`alter table "ad_hoc_attribute" drop constraint "ad_hoc_attribute_organization_id_foreign";`);

    this.addSql(`alter table "address" drop constraint "address_organization_id_foreign";`);

    this.addSql(`alter table "service" drop constraint "service_organization_id_foreign";`);

    this.addSql(`alter table "telephone_number" drop constraint "telephone_number_organization_id_foreign";`);

    this.addSql(`alter table "terms_and_conditions" drop constraint "terms_and_conditions_organization_id_foreign";`);

    this.addSql(`alter table "terms_agreement" drop constraint "terms_agreement_organization_id_foreign";`);

    this.addSql(`alter table "url" drop constraint "url_organization_id_foreign";`);

    this.addSql(`alter table "folder" drop constraint "folder_parent_id_foreign";`);

    this.addSql(`alter table "group" drop constraint "group_folder_id_foreign";`);

    this.addSql(`alter table "cou" drop constraint "cou_parent_id_foreign";`);

    this.addSql(`alter table "group" drop constraint "group_cou_id_foreign";`);

    this.addSql(`alter table "department" drop constraint "department_cou_id_foreign";`);

    this.addSql(`alter table "person_role" drop constraint "person_role_cou_id_foreign";`);

    this.addSql(`alter table "terms_and_conditions" drop constraint "terms_and_conditions_cou_id_foreign";`);

    this.addSql(`alter table "group_nesting" drop constraint "group_nesting_group_id_foreign";`);

    this.addSql(`alter table "group_nesting" drop constraint "group_nesting_nested_group_id_foreign";`);

    this.addSql(`alter table "email_list" drop constraint "email_list_members_group_id_foreign";`);

    this.addSql(`alter table "email_list" drop constraint "email_list_admins_group_id_foreign";`);

    this.addSql(`alter table "email_list" drop constraint "email_list_moderators_group_id_foreign";`);

    this.addSql(`alter table "department" drop constraint "department_leadership_group_id_foreign";`);

    this.addSql(`alter table "department" drop constraint "department_administrative_group_id_foreign";`);

    this.addSql(`alter table "identifier" drop constraint "identifier_group_id_foreign";`);

    this.addSql(`alter table "group_membership" drop constraint "group_membership_group_id_foreign";`);

    this.addSql(`alter table "service" drop constraint "service_group_id_foreign";`);

    this.addSql(`alter table "group_membership" drop constraint "group_membership_nesting_id_foreign";`);

    this.addSql(`alter table "org_identity_link" drop constraint "org_identity_link_source_id_foreign";`);

    this.addSql(`alter table "org_identity_link" drop constraint "org_identity_link_person_id_foreign";`);

    this.addSql(`alter table "name" drop constraint "name_person_id_foreign";`);

    this.addSql(`alter table "identifier" drop constraint "identifier_person_id_foreign";`);

    this.addSql(`alter table "group_membership" drop constraint "group_membership_person_id_foreign";`);

    this.addSql(`alter table "email_address" drop constraint "email_address_person_id_foreign";`);

    this.addSql(`alter table "person_role" drop constraint "person_role_person_id_foreign";`);

    this.addSql(`alter table "ad_hoc_attribute" drop constraint "ad_hoc_attribute_person_id_foreign";`);

    this.addSql(`alter table "address" drop constraint "address_person_id_foreign";`);

    this.addSql(`alter table "telephone_number" drop constraint "telephone_number_person_id_foreign";`);

    this.addSql(`alter table "terms_agreement" drop constraint "terms_agreement_person_id_foreign";`);

    this.addSql(`alter table "url" drop constraint "url_person_id_foreign";`);

    this.addSql(`alter table "ad_hoc_attribute" drop constraint "ad_hoc_attribute_role_id_foreign";`);

    this.addSql(`alter table "address" drop constraint "address_role_id_foreign";`);

    this.addSql(`alter table "telephone_number" drop constraint "telephone_number_role_id_foreign";`);

    this.addSql(`alter table "terms_agreement" drop constraint "terms_agreement_terms_id_foreign";`);

    this.addSql(`drop table if exists "change_log_entry" cascade;`);

    this.addSql(`drop table if exists "organization" cascade;`);

    this.addSql(`drop table if exists "folder" cascade;`);

    this.addSql(`drop table if exists "cou" cascade;`);

    this.addSql(`drop table if exists "group" cascade;`);

    this.addSql(`drop table if exists "group_nesting" cascade;`);

    this.addSql(`drop table if exists "email_list" cascade;`);

    this.addSql(`drop table if exists "department" cascade;`);

    this.addSql(`drop table if exists "api_token" cascade;`);

    this.addSql(`drop table if exists "org_identity_source" cascade;`);

    this.addSql(`drop table if exists "person" cascade;`);

    this.addSql(`drop table if exists "org_identity_link" cascade;`);

    this.addSql(`drop table if exists "name" cascade;`);

    this.addSql(`drop table if exists "identifier" cascade;`);

    this.addSql(`drop table if exists "group_membership" cascade;`);

    this.addSql(`drop table if exists "email_address" cascade;`);

    this.addSql(`drop table if exists "person_role" cascade;`);

    this.addSql(`drop table if exists "ad_hoc_attribute" cascade;`);

    this.addSql(`drop table if exists "address" cascade;`);

    this.addSql(`drop table if exists "service" cascade;`);

    this.addSql(`drop table if exists "telephone_number" cascade;`);

    this.addSql(`drop table if exists "terms_and_conditions" cascade;`);

    this.addSql(`drop table if exists "terms_agreement" cascade;`);

    this.addSql(`drop table if exists "url" cascade;`);

    this.addSql(`drop type "change_kind";`);
    this.addSql(`drop type "record_status";`);
    this.addSql(`drop type "group_type";`);
    this.addSql(`drop type "role";`);
    this.addSql(`drop type "person_status";`);
    this.addSql(`drop type "name_type";`);
    this.addSql(`drop type "email_type";`);
    this.addSql(`drop type "affiliation";`);
    this.addSql(`drop type "address_type";`);
    this.addSql(`drop type "telephone_type";`);
    this.addSql(`drop type "url_type";`);
  }

}
