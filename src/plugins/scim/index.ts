export { scimPlugin } from './scim-plugin';
export { scimConfigSchema, type ScimConfig, USER_ATTRIBUTE_CATALOGUE, DEFAULT_USER_ATTRIBUTES } from './config';
