import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ErrorCode, FerryError } from '../common/errors';
import type { Logger } from '../observability/logger';

const ALGORITHM = 'aes-256-gcm';
const PREFIX = 'v1:';

let key: Buffer | null = null;

/** Reads a 32-byte key written as base64 or hex. */
function parseKey(text: string, source: string): Buffer {
  const trimmed = text.trim();
  const candidate = /^[0-9a-f]{64}$/i.test(trimmed) ? Buffer.from(trimmed, 'hex') : Buffer.from(trimmed, 'base64');
  if (candidate.length !== 32) throw new Error(`${source} must hold a 32-byte key, as 64 hex digits or base64 (e.g. \`openssl rand -base64 32\`).`);
  return candidate;
}

/**
 * The key that encrypts target secrets at rest: FERRY_SECRETS_KEY, else the file named by
 * FERRY_SECRETS_KEY_FILE, else `<data dir>/secrets.key`, created (mode 0600) on first start.
 * Every process that shares a database must use the same key.
 */
export async function loadSecretsKey(options: { key?: string; keyFile?: string; dataDir: string }, logger: Logger): Promise<void> {
  if (options.key) {
    key = parseKey(options.key, 'FERRY_SECRETS_KEY');
    return;
  }
  const file = options.keyFile ?? path.join(options.dataDir, 'secrets.key');
  try {
    key = parseKey(await readFile(file, 'utf8'), file);
    return;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || options.keyFile) {
      throw error instanceof Error && !(error as NodeJS.ErrnoException).code ? error : new Error(`Cannot read the secrets key ${file}: ${(error as Error).message}`);
    }
  }
  await mkdir(path.dirname(file), { recursive: true });
  try {
    // "wx": two processes starting at once must not each write a different key.
    await writeFile(file, `${randomBytes(32).toString('base64')}\n`, { flag: 'wx', mode: 0o600 });
    logger.info({ file }, 'created the key that encrypts target secrets; keep it with the database backups');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  key = parseKey(await readFile(file, 'utf8'), file);
}

function currentKey(): Buffer {
  if (!key) throw new Error('The secrets key is not loaded (loadSecretsKey runs at start-up).');
  return key;
}

export function isSealed(value: string): boolean {
  return value.startsWith(PREFIX);
}

/** AES-256-GCM with a random IV: `v1:<iv>.<tag>.<ciphertext>`, base64url parts. */
export function seal(plaintext: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv(ALGORITHM, currentKey(), iv);
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return `${PREFIX}${iv.toString('base64url')}.${cipher.getAuthTag().toString('base64url')}.${body.toString('base64url')}`;
}

export function open(sealed: string): string {
  const [iv, tag, body] = sealed.slice(PREFIX.length).split('.');
  const decipher = createDecipheriv(ALGORITHM, currentKey(), Buffer.from(iv, 'base64url'));
  decipher.setAuthTag(Buffer.from(tag, 'base64url'));
  try {
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
  } catch {
    // A known code, so that the API says this in words instead of "Internal error".
    throw new FerryError(
      ErrorCode.Conflict,
      'Cannot decrypt a stored target secret: this process uses a different secrets key than the one that wrote it. Every Ferry process on one database needs ' +
        'the same key (FERRY_SECRETS_KEY, FERRY_SECRETS_KEY_FILE or <FERRY_DATA_DIR>/secrets.key); after a restore, the key that was in use when the backup was made.',
    );
  }
}

/** Seals target secrets still stored in plain JSON (written before encryption at rest existed). */
export async function sealPlainSecrets(execute: (sql: string, params?: unknown[]) => Promise<unknown[]>, logger: Logger): Promise<void> {
  const rows = (await execute(`select id, secrets from provisioning_target where secrets not like 'v1:%'`)) as { id: string; secrets: string }[];
  for (const row of rows) {
    await execute(`update provisioning_target set secrets = ? where id = ? and secrets = ?`, [seal(row.secrets), row.id, row.secrets]);
  }
  if (rows.length > 0) logger.info({ targets: rows.length }, 'encrypted target secrets stored in plain text by an earlier version');
}
