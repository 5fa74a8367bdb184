import { readFileSync } from 'node:fs';
import { open, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../observability/logger';

/**
 * Which Ferry process owns a data folder, and what to do with a PostgreSQL left running in it.
 *
 * A Ferry on the embedded PostgreSQL records itself in `<dataDir>/ferry.pid` (its PID and, where
 * /proc exists, the process start time, so that a recycled PID is not taken for it). A second
 * Ferry on the same folder is refused while that process lives. When it does not (the owner was
 * killed with SIGKILL, or crashed), the PostgreSQL it started may still run on the folder: that
 * orphan is told to shut down (SIGINT, PostgreSQL's fast shutdown) and Ferry waits until its
 * `postmaster.pid` is gone before starting PostgreSQL again.
 */

export const OWNER_FILE = 'ferry.pid';

export class DataDirInUseError extends Error {
  constructor(
    readonly dataDir: string,
    readonly pid: number,
  ) {
    super(
      `The data folder ${dataDir} is in use by another running Ferry process (PID ${pid}); stop that process or use another FERRY_DATA_DIR.`,
    );
    this.name = 'DataDirInUseError';
  }
}

export function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Fields of /proc/<pid>/stat after the command name, which may itself hold spaces and parentheses. */
function procStat(pid: number): string[] | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

/** Start time of a process in clock ticks since boot (field 22 of /proc/<pid>/stat); null without /proc. */
export function processStartTime(pid: number): string | null {
  return procStat(pid)?.[19] ?? null;
}

function parentPid(pid: number): number | null {
  const ppid = Number(procStat(pid)?.[1]);
  return Number.isInteger(ppid) ? ppid : null;
}

function commandLine(pid: number): string[] | null {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter((arg) => arg !== '');
  } catch {
    return null;
  }
}

interface Owner {
  pid: number;
  startTime: string | null;
}

async function readOwner(file: string): Promise<Owner | null> {
  try {
    const [pid, startTime] = (await readFile(file, 'utf8')).split('\n');
    return { pid: Number(pid), startTime: startTime?.trim() || null };
  } catch {
    return null;
  }
}

/** Whether the process recorded as owner is still that process (not a recycled PID, not us). */
function ownerIsLive(owner: Owner): boolean {
  if (owner.pid === process.pid || !isAlive(owner.pid)) return false;
  const startTime = processStartTime(owner.pid);
  return owner.startTime === null || startTime === null || startTime === owner.startTime;
}

export interface DataDirLock {
  release(): Promise<void>;
}

/**
 * Records this process as the owner of `dataDir`, refusing with {@link DataDirInUseError} while a
 * live Ferry owns it. Creating the file exclusively keeps two Ferries that start at the same
 * moment from both taking it.
 */
export async function lockDataDir(dataDir: string, log: Logger): Promise<DataDirLock> {
  const file = path.join(dataDir, OWNER_FILE);
  const content = `${process.pid}\n${processStartTime(process.pid) ?? ''}\n`;
  for (let attempt = 0; ; attempt++) {
    try {
      const handle = await open(file, 'wx', 0o644);
      try {
        await handle.writeFile(content);
      } finally {
        await handle.close();
      }
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 2) throw error;
    }
    const owner = await readOwner(file);
    if (owner && ownerIsLive(owner)) throw new DataDirInUseError(dataDir, owner.pid);
    if (owner) log.warn({ file, pid: owner.pid }, 'the Ferry process recorded as owner of the data folder is gone; taking the folder over');
    await rm(file, { force: true });
  }
  return {
    async release() {
      const owner = await readOwner(file);
      if (owner?.pid === process.pid) await rm(file, { force: true });
    },
  };
}

interface PostmasterPid {
  pid: number;
  dataDir: string;
  port: number;
}

async function readPostmasterPid(clusterDir: string): Promise<PostmasterPid | null> {
  try {
    // PID, data directory, start time, port, socket folder, listen address, shared memory key, status.
    const lines = (await readFile(path.join(clusterDir, 'postmaster.pid'), 'utf8')).split('\n');
    return { pid: Number(lines[0]), dataDir: lines[1] ?? '', port: Number(lines[3]) };
  } catch {
    return null;
  }
}

/**
 * Whether `pid` is a PostgreSQL server on `clusterDir`: its executable is `postgres` and its
 * `-D` argument (or, without /proc, the data directory its postmaster.pid names) is that folder.
 */
function isPostgresOn(pid: number, clusterDir: string, recorded: PostmasterPid): boolean {
  const argv = commandLine(pid);
  if (argv === null) return path.resolve(recorded.dataDir) === path.resolve(clusterDir);
  if (argv.length === 0 || path.basename(argv[0]) !== 'postgres') return false;
  const dataArg = argv.indexOf('-D');
  const dataDir = dataArg >= 0 ? argv[dataArg + 1] : recorded.dataDir;
  return dataDir !== undefined && path.resolve(dataDir) === path.resolve(clusterDir);
}

function isNodeProcess(pid: number): boolean {
  const argv0 = commandLine(pid)?.[0];
  return argv0 !== undefined && /^node(js)?(\d+)?$/.test(path.basename(argv0));
}

async function waitUntil(predicate: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await predicate()) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return predicate();
}

/**
 * Stops a PostgreSQL left running on `clusterDir` by a Ferry that is gone. Call it only while
 * holding the folder's {@link lockDataDir} lock. A PostgreSQL whose parent is still a live Node
 * process (a Ferry from before the owner file, or one started by other means) is not touched:
 * that is refused like a live owner.
 */
export async function stopOrphanedPostgres(dataDir: string, clusterDir: string, log: Logger, timeoutMs = 60_000): Promise<void> {
  const recorded = await readPostmasterPid(clusterDir);
  if (!recorded || !isAlive(recorded.pid) || !isPostgresOn(recorded.pid, clusterDir, recorded)) return;
  const parent = parentPid(recorded.pid);
  if (parent !== null && parent > 1 && parent !== process.pid && isNodeProcess(parent)) {
    throw new DataDirInUseError(dataDir, parent);
  }
  log.warn(
    { pid: recorded.pid, port: recorded.port, clusterDir },
    'embedded PostgreSQL left running by a Ferry process that is gone; shutting it down before starting again',
  );
  try {
    process.kill(recorded.pid, 'SIGINT');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
  const gone = await waitUntil(async () => (await readPostmasterPid(clusterDir)) === null || !isAlive(recorded.pid), timeoutMs);
  if (!gone) {
    throw new Error(
      `The embedded PostgreSQL left running on ${clusterDir} (PID ${recorded.pid}) did not shut down within ${timeoutMs / 1000} s; stop it and start Ferry again.`,
    );
  }
  // The postmaster removes postmaster.pid as its very last step; wait for that too.
  await waitUntil(async () => (await readPostmasterPid(clusterDir)) === null, 5_000);
  log.info({ pid: recorded.pid }, 'the orphaned embedded PostgreSQL has shut down');
}

/**
 * The PostgreSQL a live Ferry runs on `dataDir` (its owner is alive and its postmaster is a
 * PostgreSQL on `<dataDir>/pg`), for a second process to connect to; null otherwise.
 */
export async function ownersPostgres(dataDir: string): Promise<{ ownerPid: number; port: number } | null> {
  const owner = await readOwner(path.join(dataDir, OWNER_FILE));
  if (!owner || !ownerIsLive(owner)) return null;
  const clusterDir = path.join(dataDir, 'pg');
  const postmaster = await readPostmasterPid(clusterDir);
  if (!postmaster || !Number.isInteger(postmaster.port) || !isAlive(postmaster.pid) || !isPostgresOn(postmaster.pid, clusterDir, postmaster)) return null;
  return { ownerPid: owner.pid, port: postmaster.port };
}
