/**
 * `npm run bench [-- --quick] [-- --profile=memory] [-- --runs=N] [-- --engine=firefox] [-- --only=...]`
 *
 * `npm run bench:firefox`: the main workloads (A raw, B leader, C follower, 1 to 8 tabs writing)
 * in Firefox, quick sizes; compare its ratios with Chromium's run of the same phases
 * (`npm run bench -- --quick --only=raw,baton,tabsB`). A run in another engine than Chromium is
 * published beside Chromium's (latest-firefox.json), never over it.
 *
 * Measures, side by side in one headless Chromium, raw sqlite-wasm (A), sqlite-baton from a leader
 * tab (B) and a follower tab (C), and the peers: the naive one-connection-per-tab setup (D),
 * SQLocal (E), wa-sqlite as PowerSync runs it (F), PGlite's multi-tab worker (G: OPFS, G_idb:
 * IndexedDB) and Dexie (H), and sqlite-baton on IndexedDB (B_idb, beside OPFS and Dexie on the same
 * origin, failover with Web Locks and with leases); then what one tab's 50 MB value or 3-second read costs the others,
 * and live queries (commit to another tab's listener; 100 idle watches against 8 writing tabs);
 * then the write workloads again in a private window (in-memory OPFS) and in a slow-flush profile
 * (file syncs slowed to ~5 ms, as on macOS). Prints one table, writes bench/results/latest.json
 * and draws bench/results/chart.svg. See bench/node/plan.ts for the sizes and
 * bench/shared/workloads.ts for the workloads.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, platform, release, tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { drawChart } from '../bench/node/chart.ts';
import { fsyncCost } from '../bench/node/fsync.ts';
import {
  batonFineTimerPhase,
  batonPhase,
  coldOpenPhase,
  failoverPhase,
  indexedDBPhase,
  perTabPhase,
  privateWindowPhase,
  rawPhase,
  tabsPhase,
  type RunContext,
} from '../bench/node/phases.ts';
import { FULL, PEERS, QUICK, type RunFigures, type SubjectId } from '../bench/node/plan.ts';
import { buildSlowFlushShim } from '../bench/node/slow-flush.ts';
import { slowFlushPhase } from '../bench/node/slow-flush-phase.ts';
import { blobPhase, longReadPhase } from '../bench/node/stall-phases.ts';
import { liveLatencyPhase, liveThroughputPhase } from '../bench/node/live-phases.ts';
import { formatTable, mediansOf, profileOf, ratiosOf, targetsOf, type Report } from '../bench/node/report.ts';
import { startSession } from '../bench/node/session.ts';
import type { Settings } from '../bench/shared/workloads.ts';
import { engineFromEnv } from '../test/support/engine.ts';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const engineArg = args.find((a) => a.startsWith('--engine='))?.slice('--engine='.length);
// Every session of the run in that engine; default SQLITE_BATON_ENGINE's, else Chromium.
const engine = engineArg === undefined ? engineFromEnv() : engineArg;
if (engine !== 'chromium' && engine !== 'firefox') throw new Error(`--engine must be chromium or firefox, got "${engine}"`);
const profile = args.includes('--profile=memory') ? 'memory' : 'disk';
const runsArg = args.find((a) => a.startsWith('--runs='));
// `--only=raw,tabsB`: a subset of the phases, for profiling one figure (the table shows gaps). Names:
// raw, baton, fine, peerD..peerH and peerG_idb, tabsB, idb (sqlite-baton on IndexedDB, failover with Web Locks
// and with leases), tabsB_idb, tabsD..tabsH, failover, cold, blob, longread,
// private, slow (with slowF, slowG, slowH for the peers in the slow-flush profile), live (live queries).
const onlyArg = args.find((a) => a.startsWith('--only='));
const only = onlyArg ? new Set(onlyArg.slice('--only='.length).split(',')) : null;
const wanted = (phaseName: string) => !only || only.has(phaseName);
const sizes = { ...(quick ? QUICK : FULL) };
if (runsArg) sizes.runs = Math.max(1, Number(runsArg.slice('--runs='.length)) || sizes.runs);

const resultsDir = fileURLToPath(new URL('../bench/results/', import.meta.url));
const log = (line: string) => process.stderr.write(`${line}\n`);

const started = Date.now();
const fsyncMs = fsyncCost();
log(`bench: ${engine}, ${quick ? 'quick' : 'full'}, ${sizes.runs} run(s), ${profile} profile; fsync here ${fsyncMs.toFixed(2)} ms`);

/** A file sync costs this much more in the slow-flush profile: about an F_FULLFSYNC on a Mac. */
const SLOW_FLUSH_MS = 5;
const notes: string[] = [];
const shim = wanted('slow') && profile === 'disk' ? buildSlowFlushShim(SLOW_FLUSH_MS) : undefined;
if (shim && 'skipped' in shim) {
  log(`slow-flush profile skipped: ${shim.skipped}`);
  notes.push(`slow-flush profile skipped: ${shim.skipped}`);
}
const slowShim = shim && !('skipped' in shim) ? shim : undefined;

const session = await startSession({ profile, engine });
// The N-tab write comparison is repeated in a private window, whose OPFS is in memory,
const privateSession = wanted('private') && profile === 'disk' ? await startSession({ profile: 'memory', engine }) : undefined;
// and with file syncs slowed down.
const slowSession = slowShim ? await startSession({ profile: 'disk', engine, env: slowShim.env }) : undefined;
let interrupted = false;
process.once('SIGINT', () => {
  interrupted = true;
  log('interrupted: closing the browser and the dev server');
  void Promise.all([session.close(), privateSession?.close(), slowSession?.close()]).then(() => process.exit(130));
});

const runs: RunFigures[] = [];
const settings: Partial<Record<SubjectId, Settings>> = {};
try {
  for (let run = 0; run < sizes.runs && !interrupted; run++) {
    log(`run ${run + 1}/${sizes.runs}`);
    const ctx: RunContext = { session, sizes, run, figures: {}, settings, notes, log };
    const names: Record<string, string> = {};
    if (wanted('raw')) await rawPhase(ctx, names);
    if (wanted('baton')) await batonPhase(ctx, names);
    if (wanted('fine')) await batonFineTimerPhase(ctx);
    const peers = PEERS.filter((peer) => peer !== 'G_idb' || sizes.pgliteIdb);
    for (const peer of peers) if (wanted(`peer${peer}`)) await perTabPhase(ctx, peer, names);
    if (wanted('tabsB')) await tabsPhase(ctx, 'B');
    if (wanted('idb')) await indexedDBPhase(ctx, names);
    if (wanted('tabsB_idb')) await tabsPhase(ctx, 'B_idb');
    // PGlite on IndexedDB is left out: one query takes ~0.3 s there (see perTabPhase).
    for (const peer of peers) if (peer !== 'G_idb' && wanted(`tabs${peer}`)) await tabsPhase(ctx, peer, sizes.peerTabCounts);
    if (wanted('failover')) await failoverPhase(ctx);
    if (wanted('cold')) await coldOpenPhase(ctx, names);
    if (wanted('blob')) await blobPhase(ctx);
    if (wanted('longread')) await longReadPhase(ctx);
    if (wanted('live')) {
      await liveLatencyPhase(ctx);
      await liveThroughputPhase(ctx);
    }
    if (privateSession) await privateWindowPhase({ ...ctx, session: privateSession, prefix: 'private.' });
    if (slowSession && slowShim) {
      // D and E are too slow already to add anything here.
      const peers = sizes.slowPeers.filter((peer) => wanted(`slow${peer}`));
      await slowFlushPhase({ ...ctx, session: slowSession, prefix: 'slow.' }, slowShim.countDir, peers);
    }
    runs.push(ctx.figures);
  }
} finally {
  await session.close();
  await privateSession?.close();
  await slowSession?.close();
  slowShim?.remove();
}

for (const [path, count] of Object.entries(session.lockFailures)) {
  notes.push(
    `${path}: sqlite-wasm's opfs VFS logged ${count} times that it gave up taking the file's lock (6 attempts) while another tab held it`,
  );
}
const medians = mediansOf(runs);
const report: Report = {
  meta: {
    date: new Date().toISOString(),
    mode: quick ? 'quick' : 'full',
    runs: runs.length,
    browser: session.browserVersion,
    profile: session.profile,
    fsyncMs,
    ...(slowShim ? { slowFlushMs: slowShim.delayMs } : {}),
    cpus: cpus().length,
    platform: `${platform()} ${release()}`,
    node: process.version,
    sizes,
    elapsedSeconds: (Date.now() - started) / 1000,
    ...(only ? { only: [...only] } : {}),
  },
  settings,
  medians,
  ratios: ratiosOf(medians),
  targets: targetsOf(medians),
  profile: profileOf(medians),
  runs,
  notes,
  pageErrors: session.pageErrors,
};

console.log(formatTable(report));
const suffix = engine === 'chromium' ? '' : `-${engine}`;
if (only) {
  // A partial run never replaces the published results.
  const path = `${tmpdir()}/bench-partial${suffix}.json`;
  writeFileSync(path, `${JSON.stringify(report, null, 2)}\n`);
  log(`\nwrote ${path} (${report.meta.elapsedSeconds.toFixed(0)} s)`);
} else {
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(`${resultsDir}latest${suffix}.json`, `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(`${resultsDir}chart${suffix}.svg`, drawChart(medians, report.meta));
  log(`\nwrote bench/results/latest${suffix}.json and bench/results/chart${suffix}.svg (${report.meta.elapsedSeconds.toFixed(0)} s)`);
}
