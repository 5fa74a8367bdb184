import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '../../config/config';

/**
 * Where the key that encrypts target secrets comes from, in the order secret-box.ts reads it:
 * FERRY_SECRETS_KEY, else the file FERRY_SECRETS_KEY_FILE, else `<FERRY_DATA_DIR>/secrets.key`.
 */
export function secretsKeyLocation(config: Pick<Config, 'FERRY_SECRETS_KEY' | 'FERRY_SECRETS_KEY_FILE' | 'dataDir'>): { where: string; present: boolean } {
  if (config.FERRY_SECRETS_KEY) return { where: 'the key given in FERRY_SECRETS_KEY', present: true };
  const file = config.FERRY_SECRETS_KEY_FILE ? path.resolve(config.FERRY_SECRETS_KEY_FILE) : path.join(config.dataDir, 'secrets.key');
  return { where: `the key in ${file}${config.FERRY_SECRETS_KEY_FILE ? ' (FERRY_SECRETS_KEY_FILE)' : ''}`, present: existsSync(file) };
}
