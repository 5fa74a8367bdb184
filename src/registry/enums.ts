import { registerEnumType } from 'type-graphql';

/** The COmanage person (and role) status set. */
export enum PersonStatus {
  ACTIVE = 'ACTIVE',
  APPROVED = 'APPROVED',
  CONFIRMED = 'CONFIRMED',
  DECLINED = 'DECLINED',
  DELETED = 'DELETED',
  DENIED = 'DENIED',
  DUPLICATE = 'DUPLICATE',
  EXPIRED = 'EXPIRED',
  GRACE_PERIOD = 'GRACE_PERIOD',
  INVITED = 'INVITED',
  LOCKED = 'LOCKED',
  PENDING = 'PENDING',
  PENDING_APPROVAL = 'PENDING_APPROVAL',
  PENDING_CONFIRMATION = 'PENDING_CONFIRMATION',
  PENDING_VETTING = 'PENDING_VETTING',
  SUSPENDED = 'SUSPENDED',
}
registerEnumType(PersonStatus, { name: 'PersonStatus', description: 'COmanage person and role status.' });

/** Statuses that keep a person in the "active members" automatic groups (COmanage: A, GP). */
export const ACTIVE_MEMBER_STATUSES: ReadonlySet<PersonStatus> = new Set([
  PersonStatus.ACTIVE,
  PersonStatus.GRACE_PERIOD,
]);

export enum RecordStatus {
  ACTIVE = 'ACTIVE',
  SUSPENDED = 'SUSPENDED',
}
registerEnumType(RecordStatus, { name: 'RecordStatus' });

export enum NameType {
  OFFICIAL = 'OFFICIAL',
  PREFERRED = 'PREFERRED',
  ALTERNATIVE = 'ALTERNATIVE',
  AUTHOR = 'AUTHOR',
  FKA = 'FKA',
}
registerEnumType(NameType, { name: 'NameType' });

export enum EmailType {
  OFFICIAL = 'OFFICIAL',
  PERSONAL = 'PERSONAL',
  PREFERRED = 'PREFERRED',
  DELIVERY = 'DELIVERY',
  FORWARDING = 'FORWARDING',
  RECOVERY = 'RECOVERY',
}
registerEnumType(EmailType, { name: 'EmailType' });

export enum UrlType {
  OFFICIAL = 'OFFICIAL',
  PERSONAL = 'PERSONAL',
}
registerEnumType(UrlType, { name: 'UrlType' });

export enum Affiliation {
  FACULTY = 'FACULTY',
  STUDENT = 'STUDENT',
  STAFF = 'STAFF',
  ALUM = 'ALUM',
  MEMBER = 'MEMBER',
  AFFILIATE = 'AFFILIATE',
  EMPLOYEE = 'EMPLOYEE',
  LIBRARY_WALK_IN = 'LIBRARY_WALK_IN',
}
registerEnumType(Affiliation, { name: 'Affiliation', description: 'eduPersonAffiliation values.' });

export enum AddressType {
  CAMPUS = 'CAMPUS',
  HOME = 'HOME',
  OFFICE = 'OFFICE',
  POSTAL = 'POSTAL',
  FORWARDING = 'FORWARDING',
}
registerEnumType(AddressType, { name: 'AddressType' });

export enum TelephoneType {
  CAMPUS = 'CAMPUS',
  FAX = 'FAX',
  HOME = 'HOME',
  MOBILE = 'MOBILE',
  OFFICE = 'OFFICE',
}
registerEnumType(TelephoneType, { name: 'TelephoneType' });

/** COmanage group types: standard groups and the automatic ones Ferry maintains itself. */
export enum GroupType {
  STANDARD = 'STANDARD',
  ADMINS = 'ADMINS',
  MEMBERS_ALL = 'MEMBERS_ALL',
  MEMBERS_ACTIVE = 'MEMBERS_ACTIVE',
}
registerEnumType(GroupType, { name: 'GroupType' });
