import { appendFile, readFile } from 'node:fs/promises';
import { z } from 'zod';
import { PermanentProvisioningError, type ProvisionerPlugin } from '../../src/plugins/plugin';

/** Appends one JSON line per provisioning action to a file (COmanage's ChangelogProvisioner). */
const configSchema = z.object({
  path: z.string().min(1),
});

export const jsonLinesPlugin: ProvisionerPlugin<z.infer<typeof configSchema>> = {
  name: 'json-lines',
  configSchema,
  secretFields: [],

  async provision(target, { action, subject }) {
    const line = JSON.stringify({ target: target.targetName, action, subject });
    try {
      await appendFile(target.config.path, `${line}\n`);
    } catch (error) {
      throw new PermanentProvisioningError(`cannot write ${target.config.path}: ${(error as Error).message}`);
    }
    const deleted = action.endsWith('_DELETED');
    return { remoteId: deleted ? null : subject.id, detail: `${action} written to ${target.config.path}` };
  },

  async readBack(target, _subjectType, remoteId) {
    const text = await readFile(target.config.path, 'utf8').catch(() => '');
    const exists = text.includes(`"id":"${remoteId}"`);
    return { exists, detail: exists ? 'found in the file' : 'not in the file' };
  },
};
