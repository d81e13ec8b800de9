/**
 * The slow-flush profile: the browser runs with bench/native/slow-fsync.c preloaded, so that every
 * file sync costs what Chromium's OPFS flush() costs on macOS (an F_FULLFSYNC of about 5 ms) instead
 * of this machine's fraction of a millisecond. The shim is compiled here, at bench time, with the
 * machine's C compiler into a temp directory; where that cannot be done, the profile is skipped
 * and the reason printed.
 *
 * The shim leaves, per process it slowed, a count of slowed calls in `countDir`: which of
 * Chromium's processes really sync (and how often) is read back from there (see slowedByProcess).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SOURCE = fileURLToPath(new URL('../native/slow-fsync.c', import.meta.url));

export interface SlowFlushShim {
  /** What to add to the browser's environment. */
  env: Record<string, string>;
  delayMs: number;
  countDir: string;
  remove(): void;
}

/** Compiles the shim, or returns why it cannot (not Linux, no compiler, the build failed). */
export function buildSlowFlushShim(delayMs: number): SlowFlushShim | { skipped: string } {
  if (process.platform !== 'linux') return { skipped: `LD_PRELOAD shims are a Linux thing; this is ${process.platform}` };
  const compiler = ['cc', 'gcc', 'clang'].find((name) => {
    try {
      execFileSync(name, ['--version'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  });
  if (!compiler) return { skipped: 'no C compiler (cc, gcc or clang) on PATH' };
  const dir = mkdtempSync(join(tmpdir(), 'sqlite-baton-slow-flush-'));
  const library = join(dir, 'slow-fsync.so');
  const countDir = join(dir, 'counts');
  try {
    execFileSync(compiler, ['-shared', '-fPIC', '-O2', '-o', library, SOURCE, '-ldl'], { stdio: 'pipe' });
    execFileSync('mkdir', ['-p', countDir]);
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    const stderr = String((error as { stderr?: unknown }).stderr ?? error).trim();
    return { skipped: `${compiler} could not build ${SOURCE}: ${stderr.split('\n')[0]}` };
  }
  return {
    env: { LD_PRELOAD: library, SLOW_FSYNC_US: String(Math.round(delayMs * 1000)), SLOW_FSYNC_COUNT_DIR: countDir },
    delayMs,
    countDir,
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/**
 * Slowed calls so far, by Chromium process type (browser, renderer, utility with its sub-type):
 * where the syncs really happen. Processes already gone count under their last known type, or
 * 'exited' when the bench never saw them alive.
 */
export function slowedByProcess(countDir: string, knownTypes: Map<number, string>): Record<string, number> {
  const out: Record<string, number> = {};
  if (!existsSync(countDir)) return out;
  for (const name of readdirSync(countDir)) {
    const pid = Number(name);
    const count = Number(readFileSync(join(countDir, name), 'utf8').trim());
    if (!Number.isFinite(pid) || !Number.isFinite(count)) continue;
    const type = processLabel(pid) ?? knownTypes.get(pid) ?? 'exited';
    knownTypes.set(pid, type);
    out[type] = (out[type] ?? 0) + count;
  }
  return out;
}

/** `renderer`, `browser`, `utility:storage`... from /proc, or undefined once the process is gone. */
function processLabel(pid: number): string | undefined {
  try {
    const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split(/[\0 ]/);
    const type = args.find((a) => a.startsWith('--type='))?.slice('--type='.length);
    if (!type) return 'browser';
    const sub = args.find((a) => a.startsWith('--utility-sub-type='))?.slice('--utility-sub-type='.length);
    return sub ? `${type}:${sub.split('.').slice(-2).join('.')}` : type;
  } catch {
    return undefined;
  }
}
