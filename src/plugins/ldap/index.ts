export { ldapPlugin, closeAllLdapConnections } from './ldap-plugin';
export { ldapConfigSchema, type LdapConfig } from './config';
