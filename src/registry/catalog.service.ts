/**
 * The organisation's other provisioning-relevant records: identity sources and links, services,
 * terms and conditions with agreements, departments and email lists.
 */
export class CatalogService {}
