/**
 * A short run of the multi-tab stress demo (scripts/stress.ts) in its own process: real tabs
 * writing while the leader tab is closed twice. The script's last line is its JSON result; the
 * whole report is attached to every assertion, so a failure says what happened.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';
import type { StressResult } from '../../scripts/stress.ts';
import { engineFromEnv } from '../support/engine.ts';
import { sized } from '../support/short-form.ts';

// Seconds of writing around the two leader kills; the short form writes for less.
const SECONDS = String(sized(8, 4));

const root = fileURLToPath(new URL('../..', import.meta.url));

function runStress(args: string[]): Promise<{ result: StressResult; report: string }> {
  return new Promise((resolve, reject) => {
    // In the engine of this project (tabs: Chromium, tabs-firefox: Firefox).
    const engine = ['--engine', engineFromEnv()];
    const child = spawn(process.execPath, ['scripts/stress.ts', ...engine, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const last = out.trim().split('\n').pop() ?? '';
      try {
        resolve({ result: JSON.parse(last) as StressResult, report: `${out}\n${err}` });
      } catch {
        reject(new Error(`stress exited ${code} without a JSON line:\n${out}\n${err}`));
      }
    });
  });
}

test('db.run writers in 4 tabs, leader closed twice: every acknowledged write is there exactly once, no call fails', async () => {
  const { result, report } = await runStress(['--tabs', '4', '--seconds', SECONDS, '--kill-leader', '2', '--mode', 'run']);
  expect(result.aborted, report).toBeUndefined();
  expect(result.reloads, report).toBe(0);
  expect(result.leaderKills, report).toBe(2);
  expect(result.acknowledged, report).toBeGreaterThan(0);
  expect(result.lost, report).toBe(0);
  expect(result.duplicates, report).toBe(0);
  expect(result.errors, report).toBe(0);
  expect(result.hung, report).toBe(0);
  expect(result.unexplainedRows, report).toBe(0);
}, 240_000);

test('db.transaction writers, leader closed twice: nothing lost or doubled; a failed transaction left nothing behind', async () => {
  const { result, report } = await runStress(['--tabs', '4', '--seconds', SECONDS, '--kill-leader', '2', '--mode', 'transaction']);
  expect(result.aborted, report).toBeUndefined();
  expect(result.reloads, report).toBe(0);
  expect(result.leaderKills, report).toBe(2);
  expect(result.acknowledged, report).toBeGreaterThan(0);
  expect(result.lost, report).toBe(0);
  expect(result.duplicates, report).toBe(0);
  expect(result.hung, report).toBe(0);
  expect(result.unexplainedRows, report).toBe(0);
  // An interactive transaction cannot outlive the leader that held it open: the library rejects it
  // with TRANSACTION_ABORTED ("none of it was applied"), and none of its rows may be in the file.
  expect(
    Object.keys(result.errorsByCode).filter((code) => code !== 'TRANSACTION_ABORTED'),
    report,
  ).toEqual([]);
  expect(result.failedButApplied, report).toBe(0);
}, 240_000);
