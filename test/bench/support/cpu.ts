import { readdirSync, readFileSync } from 'node:fs';

/**
 * CPU time of the processes taking part in a run (Ferry, PostgreSQL, slapd), from /proc. It tells
 * where a run spent its time: a component near one core's worth of CPU per second of wall time is
 * the one that limits the rate; all of them well below it means time goes to waiting (round trips).
 */

const TICKS_PER_SECOND = 100;

interface ProcStat {
  pid: number;
  comm: string;
  ppid: number;
  /** utime + stime, in clock ticks. */
  ticks: number;
}

function readStat(pid: number): ProcStat | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const close = text.lastIndexOf(')');
    const comm = text.slice(text.indexOf('(') + 1, close);
    const fields = text.slice(close + 2).split(' ');
    // fields[0] is the state (stat field 3): ppid is field 4, utime 14, stime 15.
    return { pid, comm, ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) };
  } catch {
    return null;
  }
}

function allProcesses(): ProcStat[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .map((entry) => readStat(Number(entry)))
    .filter((stat): stat is ProcStat => stat !== null);
}

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}

/** The PostgreSQL processes this benchmark started (the postmaster is our child, backends its children). */
export function ownPostgresPids(): number[] {
  const processes = allProcesses();
  const children = new Map<number, ProcStat[]>();
  for (const stat of processes) children.set(stat.ppid, [...(children.get(stat.ppid) ?? []), stat]);
  const found: number[] = [];
  const walk = (pid: number) => {
    for (const child of children.get(pid) ?? []) {
      if (child.comm.startsWith('postgres')) found.push(child.pid);
      walk(child.pid);
    }
  };
  walk(process.pid);
  return found;
}

/** The slapd serving `url` (slapd daemonizes, so it is found by its command line). */
export function slapdPids(url: string): number[] {
  const port = new URL(url).port;
  return allProcesses()
    .filter((stat) => stat.comm === 'slapd' && cmdline(stat.pid).includes(`:${port}/`))
    .map((stat) => stat.pid);
}

export type ProcessGroups = Record<string, () => number[]>;

/** CPU seconds each group of processes used between start() and stop(). */
export class CpuMeter {
  private readonly before = new Map<number, number>();
  private startedAt = 0;

  constructor(private readonly groups: ProcessGroups) {}

  start(): void {
    this.before.clear();
    for (const pids of Object.values(this.groups)) {
      for (const pid of pids()) {
        const stat = readStat(pid);
        if (stat) this.before.set(pid, stat.ticks);
      }
    }
    this.startedAt = performance.now();
  }

  /** Per group: CPU seconds used and the share of one core over the wall time. */
  stop(): Record<string, { cpuSeconds: number; coresBusy: number }> {
    const wallSeconds = (performance.now() - this.startedAt) / 1000;
    const result: Record<string, { cpuSeconds: number; coresBusy: number }> = {};
    for (const [name, pids] of Object.entries(this.groups)) {
      let ticks = 0;
      for (const pid of pids()) {
        const stat = readStat(pid);
        if (stat) ticks += stat.ticks - (this.before.get(pid) ?? 0);
      }
      const cpuSeconds = ticks / TICKS_PER_SECOND;
      result[name] = { cpuSeconds, coresBusy: wallSeconds > 0 ? cpuSeconds / wallSeconds : 0 };
    }
    return result;
  }
}
