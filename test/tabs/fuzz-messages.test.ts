/**
 * Fuzzing the cross-tab transport: 10,000 (3,000 in the short form) malformed, spoofed or hostile messages generated with
 * fast-check (unknown ops, wrong types, huge strings, `__proto__` keys, real peer ids with wrong
 * epochs, spoofed replies, comlink bodies with odd paths and types) are posted on the control
 * channel and on the followers' RPC channels while two real tabs keep writing. No page error, no
 * failed or hung write, every acknowledged row in the file, and the leader still serving.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import fc from 'fast-check';
import { PROTOCOL_VERSION } from '../../src/channels.ts';
import type { Tab as Page } from '../support/tab.ts';
import { useTabs } from '../support/tabs.ts';
import { sleep } from '../support/sleep.ts';
import { sized } from '../support/short-form.ts';
import { uniqueName } from '../support/unique-name.ts';

const tabs = useTabs({ beforeAll, afterAll });

// The short form posts fewer, of the same kinds.
const MESSAGES = sized(10_000, 3_000);
const BATCH = 250;

/** Background writes of one tab, kept in the page. */
interface Writing {
  started: number;
  settled: number;
  acknowledged: number[];
  failed: string[];
  stop: boolean;
}
type WritingWindow = Window & { writing: Writing };

async function startWriting(page: Page, tab: string): Promise<void> {
  await page.evaluate((t) => {
    const state: Writing = { started: 0, settled: 0, acknowledged: [], failed: [], stop: false };
    (window as unknown as WritingWindow).writing = state;
    const loop = async () => {
      while (!state.stop) {
        const seq = state.started++;
        try {
          await window.db.run('INSERT INTO writes (tab, seq) VALUES (?, ?)', [t, seq]);
          state.acknowledged.push(seq);
        } catch (e) {
          state.failed.push(`${seq}: ${e instanceof window.baton.SqliteError ? e.code : String(e)}`);
        }
        state.settled++;
      }
    };
    void loop();
    void loop();
  }, tab);
}

/**
 * Messages travel to the page as JSON text with markers for what JSON cannot hold; the page
 * decodes them (NaN, Infinity, undefined, bigint, huge strings) and turns `$proto` keys into
 * own `__proto__` keys, as JSON.parse does.
 */
type Special =
  { $: 'nan' } | { $: 'inf' } | { $: 'undefined' } | { $: 'bigint'; v: string } | { $: 'huge'; n: number } | { $: 'i32'; v: number[] };

function arbitraries(realIds: string[], epoch: number, rpcChannels: number) {
  const special: fc.Arbitrary<Special> = fc.oneof(
    fc.constant({ $: 'nan' as const }),
    fc.constant({ $: 'inf' as const }),
    fc.constant({ $: 'undefined' as const }),
    fc.bigInt({ min: -(2n ** 80n), max: 2n ** 80n }).map((b) => ({ $: 'bigint' as const, v: b.toString() })),
  );
  const huge = fc.integer({ min: 65_536, max: 1 << 20 }).map((n) => ({ $: 'huge' as const, n }));
  const junk: fc.Arbitrary<unknown> = fc.oneof(
    { weight: 3, arbitrary: fc.oneof(fc.integer(), fc.double(), fc.string({ maxLength: 20 }), fc.boolean(), fc.constant(null)) },
    { weight: 2, arbitrary: special },
    { weight: 1, arbitrary: fc.array(fc.oneof(fc.integer(), fc.string({ maxLength: 5 })), { maxLength: 3 }) },
    { weight: 1, arbitrary: fc.dictionary(fc.string({ maxLength: 5 }), fc.integer(), { maxKeys: 3 }) },
  );
  const rare = <T>(arb: fc.Arbitrary<T>) => ({ weight: 1, arbitrary: arb });
  const id = fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...realIds) },
    { weight: 3, arbitrary: fc.string({ minLength: 1, maxLength: 12 }) },
    { weight: 2, arbitrary: junk },
    rare(huge),
  );
  const epochs = fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(epoch - 1, epoch, epoch + 1, epoch + 1_000, 0, -1, Number.MAX_SAFE_INTEGER) },
    { weight: 2, arbitrary: junk },
  );
  const version = fc.oneof({ weight: 6, arbitrary: fc.constant(PROTOCOL_VERSION) }, { weight: 1, arbitrary: junk });
  const proto = fc.dictionary(fc.constantFrom('polluted', 'v', 't', 'epoch', 'toString'), fc.oneof(fc.integer(), fc.boolean()), {
    maxKeys: 2,
  });

  const sql = fc.oneof(fc.constantFrom('SELECT 1', 'SELEC', 'SELECT * FROM nowhere', '', ' '), junk, rare(huge));
  // A batch travels packed (src/batch-wire.ts): indexes and shapes as Int32Arrays, near misses included.
  const int32s = fc.array(fc.integer({ min: -3, max: 4 }), { maxLength: 4 }).map((v) => ({ $: 'i32' as const, v }));
  const packed = fc.record(
    {
      texts: fc.oneof(fc.array(sql, { maxLength: 3 }), junk),
      sql: fc.oneof(int32s, junk),
      shape: fc.oneof(int32s, junk),
      values: fc.oneof(fc.array(junk, { maxLength: 4 }), junk),
    },
    { requiredKeys: [] },
  );
  const request = fc
    .record(
      {
        op: fc.oneof(
          fc.constantFrom('run', 'all', 'get', 'exec', 'batch', 'begin', 'commit', 'rollback', '__proto__'),
          fc.string({ maxLength: 8 }),
        ),
        sql,
        params: fc.oneof(fc.array(junk, { maxLength: 3 }), junk),
        statements: fc.oneof(
          packed,
          fc.array(fc.record({ sql, params: fc.array(junk, { maxLength: 2 }) }, { requiredKeys: [] }), { maxLength: 3 }),
          junk,
        ),
        requestId: fc.oneof(fc.string({ minLength: 1, maxLength: 12 }), junk, rare(huge)),
        deadline: fc.oneof(fc.constant(Date.now() + 60_000), junk),
        txId: fc.oneof(fc.string({ minLength: 1, maxLength: 8 }), junk),
        $proto: proto,
      },
      { requiredKeys: [] },
    )
    // A well-formed BEGIN from a forged caller would rightly hold the writer for as long as that
    // (real) tab lives: that is a same-origin script using the API, not a malformed message.
    .map((r) => (r.op === 'begin' ? { ...r, deadline: 'never' } : r));
  const wireError = fc.record(
    { isSqliteError: junk, code: fc.oneof(fc.constant('SQLITE_ERROR'), junk), message: junk, name: junk },
    { requiredKeys: [] },
  );
  const body = fc.oneof(
    junk,
    fc.record(
      {
        id: fc.oneof(fc.string({ minLength: 1, maxLength: 8 }), junk),
        type: fc.oneof(
          fc.constantFrom('APPLY', 'GET', 'SET', 'CONSTRUCT', 'ENDPOINT', 'RELEASE', 'RAW', 'HANDLER'),
          fc.string({ maxLength: 8 }),
        ),
        path: fc.oneof(
          fc.array(
            fc.oneof(
              fc.constantFrom('execute', 'status', 'constructor', '__proto__', 'then', 'prototype', 'apiFor'),
              fc.string({ maxLength: 6 }),
            ),
            { maxLength: 3 },
          ),
          junk,
        ),
        name: fc.oneof(fc.constantFrom('throw', 'proxy'), fc.string({ maxLength: 6 })),
        value: fc.oneof(junk, request, wireError),
        argumentList: fc.oneof(
          fc.array(fc.oneof(fc.record({ type: fc.constant('RAW'), value: fc.oneof(request, junk) }), junk), { maxLength: 5 }),
          junk,
        ),
        $proto: proto,
      },
      { requiredKeys: [] },
    ),
  );
  const control = fc.record(
    {
      v: version,
      t: fc.oneof(fc.constantFrom('announce', 'discover', 'hello', 'welcome'), fc.string({ maxLength: 8 })),
      from: id,
      to: id,
      epoch: epochs,
      $proto: proto,
    },
    { requiredKeys: [] },
  );
  const rpc = fc.record(
    {
      v: version,
      t: fc.oneof({ weight: 6, arbitrary: fc.constant('rpc') }, { weight: 1, arbitrary: fc.string({ maxLength: 5 }) }),
      from: id,
      to: id,
      epoch: epochs,
      bodies: fc.oneof({ weight: 4, arbitrary: fc.array(body, { minLength: 1, maxLength: 3 }) }, { weight: 1, arbitrary: junk }),
      $proto: proto,
    },
    { requiredKeys: [] },
  );
  return {
    /** [channel index (0 = control, 1.. = RPC channels), message]. */
    posting: fc.oneof(
      fc.tuple(fc.constant(0), fc.oneof({ weight: 4, arbitrary: control }, { weight: 1, arbitrary: junk })),
      fc.tuple(fc.integer({ min: 1, max: rpcChannels }), fc.oneof({ weight: 4, arbitrary: rpc }, { weight: 1, arbitrary: junk })),
    ),
  };
}

function encode(value: unknown): string {
  return JSON.stringify(value).replaceAll('"$proto":', '"__proto__":');
}

test(`${MESSAGES.toLocaleString('en')} malformed, spoofed and hostile channel messages leave both tabs writing and the leader serving`, async () => {
  const name = uniqueName('fuzz-messages');
  const leaderPage = await tabs().openTab();
  const leaderTab = await leaderPage.evaluate((n) => window.harness.open(n), name);
  const followerPage = await tabs().openTab();
  const followerTab = await followerPage.evaluate((n) => window.harness.open(n), name);
  const attacker = await tabs().openTab();
  const { epoch } = await leaderPage.evaluate(() => window.db.status());
  const peers = [`${leaderTab}~0`, `${followerTab}~0`];
  const channels = [`sqlite-baton:${name}`, ...peers.map((peer) => `sqlite-baton:${name}:rpc:${peer}`)];

  const seed = Date.now() | 0;
  const postings = fc.sample(arbitraries([...peers, leaderTab, followerTab], epoch, peers.length).posting, { numRuns: MESSAGES, seed });
  await startWriting(leaderPage, leaderTab);
  await startWriting(followerPage, followerTab);

  await attacker.evaluate((names) => {
    (window as unknown as { fuzzChannels: BroadcastChannel[] }).fuzzChannels = names.map((n) => new BroadcastChannel(n));
  }, channels);
  for (let i = 0; i < postings.length; i += BATCH) {
    const batch = postings.slice(i, i + BATCH).map(([channel, message]) => [channel, encode(message)] as const);
    await attacker.evaluate(async (items) => {
      const decode = (_key: string, value: unknown): unknown => {
        if (typeof value !== 'object' || value === null || !('$' in value)) return value;
        const special = value as { $: string; v?: string | number[]; n?: number };
        switch (special.$) {
          case 'nan':
            return Number.NaN;
          case 'inf':
            return Number.POSITIVE_INFINITY;
          case 'undefined':
            return undefined;
          case 'bigint':
            return BigInt(special.v as string);
          case 'huge':
            return 'x'.repeat(special.n!);
          case 'i32':
            return Int32Array.from(special.v as unknown as number[]);
          default:
            return value;
        }
      };
      const open = (window as unknown as { fuzzChannels: BroadcastChannel[] }).fuzzChannels;
      for (const [channel, text] of items) open[channel]!.postMessage(JSON.parse(text, decode));
      // Let the workers drain between batches, as a real flood would be spread over time.
      await new Promise((r) => setTimeout(r, 20));
    }, batch);
  }
  const polluted = await attacker.evaluate(() => {
    for (const channel of (window as unknown as { fuzzChannels: BroadcastChannel[] }).fuzzChannels) channel.close();
    return ({} as Record<string, unknown>).polluted;
  });

  // Keep writing a moment after the flood, then stop and let every call settle (bounded).
  await sleep(500);
  const pages = [leaderPage, followerPage];
  await Promise.all(pages.map((page) => page.evaluate(() => void ((window as unknown as WritingWindow).writing.stop = true))));
  const settled = await Promise.all(
    pages.map((page) =>
      page
        .waitForFunction(
          () => (window as unknown as WritingWindow).writing.started === (window as unknown as WritingWindow).writing.settled,
          undefined,
          { timeout: 15_000 },
        )
        .then(
          () => true,
          () => false,
        ),
    ),
  );
  const writing = await Promise.all(pages.map((page) => page.evaluate(() => (window as unknown as WritingWindow).writing)));
  const file = await leaderPage.evaluate(() =>
    window.db.all<{ tab: string; seq: number; n: number }>('SELECT tab, seq, count(*) AS n FROM writes GROUP BY tab, seq'),
  );
  const rows = new Map(file.map((r) => [`${r.tab}/${r.seq}`, r.n]));
  const missing = [leaderTab, followerTab]
    .flatMap((tab, i) => writing[i]!.acknowledged.map((seq) => `${tab}/${seq}`))
    .filter((key) => rows.get(key) !== 1);

  // Still serving: a fresh write from each tab, and the roles unchanged.
  const after = await Promise.all(
    [leaderPage, followerPage].map((page, i) =>
      page.evaluate(
        (t) => window.db.run('INSERT INTO writes (tab, seq, note) VALUES (?, -1, ?)', [t, 'after']).then((r) => r.changes),
        [leaderTab, followerTab][i]!,
      ),
    ),
  );
  const statuses = await Promise.all(pages.map((page) => page.evaluate(() => window.db.status())));

  const context = `seed ${seed}`;
  expect(polluted, context).toBeUndefined();
  expect(settled, context).toEqual([true, true]);
  expect(
    writing.flatMap((w) => w.failed),
    context,
  ).toEqual([]);
  expect(
    writing.map((w) => w.acknowledged.length > 0),
    context,
  ).toEqual([true, true]);
  expect(missing, context).toEqual([]);
  expect(after, context).toEqual([1, 1]);
  expect(
    statuses.map((s) => s.role),
    context,
  ).toEqual(['leader', 'follower']);
  expect(statuses[1]!.leaderId, context).toBe(leaderTab);
  expect(tabs().pageErrors, context).toEqual([]);
}, 120_000);
