import { z } from 'zod';
import {
  PermanentProvisioningError,
  TransientProvisioningError,
  type ProvisionerPlugin,
  type ProvisionRequest,
} from '../../src/plugins/plugin';

export interface RecordedCall extends ProvisionRequest {
  targetName: string;
}

const configSchema = z.object({
  /** Make every call fail, to test failure isolation. */
  fail: z.enum(['never', 'permanent', 'transient']).default('never'),
  apiKey: z.string().optional(),
  /** Make calls for people with this family name fail permanently (the rest succeed). */
  failFamily: z.string().optional(),
});

/**
 * A real plugin that keeps what it was asked to do in memory (the model of COmanage's
 * ChangelogProvisioner): the engine's decisions can be asserted call by call.
 */
export function recordingPlugin(name = 'recorder') {
  const calls: RecordedCall[] = [];
  const plugin: ProvisionerPlugin<z.infer<typeof configSchema>> = {
    name,
    configSchema,
    secretFields: ['apiKey'],
    async provision(target, request) {
      calls.push({ ...request, targetName: target.targetName });
      if (target.config.fail === 'permanent') throw new PermanentProvisioningError(`${target.targetName} rejected the data`);
      if (target.config.fail === 'transient') throw new TransientProvisioningError(`${target.targetName} is unreachable`);
      const family = request.subject.subjectType === 'PERSON' ? request.subject.primaryName?.family : undefined;
      if (target.config.failFamily && family === target.config.failFamily) throw new PermanentProvisioningError(`${target.targetName} rejected ${family}`);
      const deleting = request.action.endsWith('_DELETED');
      return { remoteId: deleting ? null : `${target.targetName}/${request.subject.id}`, detail: `recorded ${request.action}` };
    },
    async readBack(_target, _subjectType, remoteId) {
      return { exists: true, detail: remoteId };
    },
  };
  return {
    plugin,
    calls,
    /** Calls for one target, as "ACTION subjectId" strings. */
    on: (targetName: string) => calls.filter((c) => c.targetName === targetName),
    clear: () => calls.splice(0, calls.length),
  };
}
