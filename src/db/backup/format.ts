/**
 * The backup file: one gzip stream (node:zlib) holding
 *
 *   FERRY-BACKUP 1\n
 *   <manifest, one line of JSON>\n
 *   for each table of the manifest, in its order:
 *     frames of COPY text data, each a 4-byte big-endian length (> 0) and that many bytes,
 *     then a frame of length 0 (end of this table)
 *   <trailer, one line of JSON: rows per table, "complete": true>\n
 *
 * The table data is PostgreSQL's own COPY text format, cut anywhere (a frame is whatever COPY TO
 * sent, at most MAX_FRAME bytes), so writing and reading hold at most one frame in memory whatever
 * the size of a table. gzip's CRC and length catch a damaged or truncated file; the trailer catches
 * a file that ends cleanly too early.
 */

export const MAGIC = 'FERRY-BACKUP 1';
export const FORMAT_VERSION = 1;
/** Frames longer than this are cut when written and refused when read (a damaged file). */
export const MAX_FRAME = 1 << 20;
const MAX_LINE = 64 << 20;

export interface BackupTable {
  name: string;
  /** The columns written, in order (generated columns are left out: PostgreSQL computes them). */
  columns: string[];
}

export interface BackupSequence {
  name: string;
  /** bigint as a string. */
  lastValue: string;
  isCalled: boolean;
}

export interface BackupManifest {
  format: 'ferry-backup';
  version: number;
  createdAt: string;
  ferryVersion: string;
  /** server_version of the PostgreSQL it was taken from. */
  postgres: string;
  schema: string;
  /** The migrations applied, in order (the schema version). */
  migrations: { name: string; executedAt: string | null }[];
  migrationsTable: string;
  /** Where the jobs were: in `agenda_jobs` (PostgreSQL, part of this backup) or MongoDB (not). */
  jobs: 'postgresql' | 'mongodb';
  tables: BackupTable[];
  sequences: BackupSequence[];
  /** How many targets hold encrypted secrets; the key is never in the backup. */
  sealedSecrets: number;
  secretsKey: string;
}

export interface BackupTrailer {
  complete: true;
  rows: Record<string, number>;
}

export class BackupFormatError extends Error {
  constructor(file: string, detail: string) {
    super(`${file} is not a usable Ferry backup: ${detail}`);
    this.name = 'BackupFormatError';
  }
}

export function frameHeader(length: number): Buffer {
  const header = Buffer.alloc(4);
  header.writeUInt32BE(length);
  return header;
}

/** Reads lines and exact byte counts from a stream, holding only what it has been asked for. */
export class ByteReader {
  private buffered: Buffer[] = [];
  private size = 0;
  private done = false;
  private readonly chunks: AsyncIterator<Buffer>;

  constructor(
    source: AsyncIterable<Buffer>,
    private readonly file: string,
  ) {
    this.chunks = source[Symbol.asyncIterator]();
  }

  private async fill(): Promise<boolean> {
    if (this.done) return false;
    const next = await this.chunks.next();
    if (next.done) {
      this.done = true;
      return false;
    }
    this.buffered.push(next.value);
    this.size += next.value.length;
    return true;
  }

  private take(length: number): Buffer {
    const all = this.buffered.length === 1 ? this.buffered[0] : Buffer.concat(this.buffered, this.size);
    const taken = all.subarray(0, length);
    const rest = all.subarray(length);
    this.buffered = rest.length > 0 ? [rest] : [];
    this.size = rest.length;
    // A copy, so that the (possibly large) chunk it came from is not kept alive by it.
    return Buffer.from(taken);
  }

  async exactly(length: number, what: string): Promise<Buffer> {
    while (this.size < length) {
      if (!(await this.fill())) throw new BackupFormatError(this.file, `it ends in the middle of ${what} (the file is truncated)`);
    }
    return this.take(length);
  }

  async line(what: string): Promise<string> {
    for (;;) {
      const joined = this.buffered.length === 1 ? this.buffered[0] : Buffer.concat(this.buffered, this.size);
      this.buffered = joined.length > 0 ? [joined] : [];
      const end = joined.indexOf(10);
      if (end >= 0) {
        const text = this.take(end + 1).subarray(0, end).toString('utf8');
        return text;
      }
      if (this.size > MAX_LINE) throw new BackupFormatError(this.file, `${what} is not where it should be`);
      if (!(await this.fill())) throw new BackupFormatError(this.file, `it ends before ${what} (the file is truncated)`);
    }
  }

  /** The frames of one table's data, up to its end marker. */
  async *frames(table: string): AsyncGenerator<Buffer> {
    for (;;) {
      const length = (await this.exactly(4, `the data of table ${table}`)).readUInt32BE(0);
      if (length === 0) return;
      if (length > MAX_FRAME) throw new BackupFormatError(this.file, `a frame of table ${table} claims ${length} bytes (the file is damaged)`);
      yield await this.exactly(length, `the data of table ${table}`);
    }
  }

  /** Whether anything follows (after the trailer there must be nothing). */
  async atEnd(): Promise<boolean> {
    while (this.size === 0) {
      if (!(await this.fill())) return true;
    }
    return false;
  }
}

export function parseManifest(file: string, magic: string, json: string): BackupManifest {
  if (magic !== MAGIC) throw new BackupFormatError(file, `it does not start with "${MAGIC}"`);
  let manifest: BackupManifest;
  try {
    manifest = JSON.parse(json) as BackupManifest;
  } catch {
    throw new BackupFormatError(file, 'its manifest is not JSON');
  }
  if (manifest.format !== 'ferry-backup' || manifest.version !== FORMAT_VERSION) {
    throw new BackupFormatError(file, `format ${manifest.format} version ${manifest.version} (this Ferry reads ferry-backup version ${FORMAT_VERSION})`);
  }
  if (!Array.isArray(manifest.tables) || !Array.isArray(manifest.migrations) || !Array.isArray(manifest.sequences)) {
    throw new BackupFormatError(file, 'its manifest lacks tables, migrations or sequences');
  }
  return manifest;
}
