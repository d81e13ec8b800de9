/**
 * CPU time used by the whole browser (every process: browser, renderers, utilities), read from
 * /proc on Linux. On a machine with few cores, a multi-tab figure is bounded by the CPU each
 * acknowledged write costs across all the threads it crosses; this is how the bench measures it.
 */
import { readdirSync, readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100;

interface Proc {
  pid: number;
  ppid: number;
  /** utime + stime + cutime + cstime, in ticks (children's time once reaped, so closed tabs still count). */
  ticks: number;
}

function readProc(pid: number): Proc | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name is in parentheses and may contain spaces: split after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ppid = Number(fields[1]);
    const ticks = Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
    return { pid, ppid, ticks };
  } catch {
    return undefined;
  }
}

function allProcs(): Proc[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  return entries.filter((e) => /^\d+$/.test(e)).flatMap((e) => readProc(Number(e)) ?? []);
}

/** The pid of the browser process started with `--user-data-dir=<dir>`, if this is Linux. */
export function findBrowserPid(userDataDir: string): number | undefined {
  for (const proc of allProcs()) {
    try {
      const cmdline = readFileSync(`/proc/${proc.pid}/cmdline`, 'utf8').split('\0');
      if (cmdline.includes(`--user-data-dir=${userDataDir}`) && !cmdline.some((arg) => arg.startsWith('--type='))) return proc.pid;
    } catch {
      // gone meanwhile
    }
  }
  return undefined;
}

function processType(pid: number): string {
  try {
    // Chromium rewrites its children's process titles: their arguments are separated by spaces.
    const type = readFileSync(`/proc/${pid}/cmdline`, 'utf8')
      .split(/[\0 ]/)
      .find((arg) => arg.startsWith('--type='));
    return type ? type.slice('--type='.length) : 'browser';
  } catch {
    return 'gone';
  }
}

/** CPU ms used so far by `rootPid` and all its descendants, in all and by Chromium process type. */
export function treeCpuMs(rootPid: number): { total: number; byType: Record<string, number> } {
  const procs = allProcs();
  const children = new Map<number, Proc[]>();
  for (const proc of procs) {
    const list = children.get(proc.ppid) ?? [];
    list.push(proc);
    children.set(proc.ppid, list);
  }
  let ticks = 0;
  const byType: Record<string, number> = {};
  const stack = procs.filter((p) => p.pid === rootPid);
  while (stack.length > 0) {
    const proc = stack.pop()!;
    ticks += proc.ticks;
    const type = processType(proc.pid);
    byType[type] = (byType[type] ?? 0) + (proc.ticks / TICKS_PER_SECOND) * 1000;
    stack.push(...(children.get(proc.pid) ?? []));
  }
  return { total: (ticks / TICKS_PER_SECOND) * 1000, byType };
}
