/**
 * Fuzzing the public verbs with bad input: fast-check generates SQL made of random fragments and
 * parameters of every wrong kind (wrong counts, NaN, undefined, objects, functions, symbols,
 * bigints beyond 64 bits, nested arrays, 1 MB strings and blobs) and calls run/all/get/exec/batch
 * with them, a few at a time so bad requests share a group commit with others. Every call
 * resolves or rejects with a SqliteError carrying a code, none hangs, and the database still works.
 */
import { expect, test } from 'vitest';
import fc from 'fast-check';
import { SqliteError, type Database } from 'sqlite-baton';
import { open } from './support/open.ts';
import { sized } from './support/short-form.ts';

// The short form tries fewer, of the same kinds.
const CASES = sized(5_000, 1_500);
const CALL_TIMEOUT_MS = 10_000;
const MB = 1 << 20;

const HUGE_STRING = 'x'.repeat(MB);
const HUGE_BLOB = new Uint8Array(MB).fill(7);

const FRAGMENTS = [
  'SELECT',
  'INSERT INTO t',
  'INSERT INTO t (a, b, c)',
  'UPDATE t SET a =',
  'DELETE FROM t',
  'VALUES',
  '(?, ?, ?)',
  '(?)',
  '?',
  '?1',
  '?999',
  '?0',
  ':a',
  '@b',
  '$c',
  ':',
  '*',
  'FROM t',
  'FROM nowhere',
  'WHERE',
  'a =',
  'b >',
  'LIMIT',
  '1',
  '-1',
  '0x7fffffffffffffff',
  '9223372036854775808',
  '1e999',
  "'text'",
  "'unterminated",
  '"ident"',
  'x',
  'NULL',
  'RETURNING *',
  '(',
  ')',
  ',',
  ';',
  '--',
  '/*',
  '*/',
  'BEGIN',
  'COMMIT',
  'ROLLBACK',
  'SAVEPOINT s',
  'RELEASE s',
  'RELEASE baton_request',
  'PRAGMA',
  'PRAGMA user_version',
  'PRAGMA user_version = 3',
  'VACUUM',
  'CREATE TABLE IF NOT EXISTS t2 (a)',
  'DROP TABLE t2',
  'zeroblob(10)',
  'randomblob(16)',
  'length(?)',
  'typeof(?)',
  'json(?)',
  'ANALYZE',
  'EXPLAIN',
  'WITH x AS (SELECT 1)',
  '_baton_requests',
  'SELECT * FROM _baton_meta',
  '\u0000',
  '\u{1F600}',
  '\uD800',
];

const sqlArb: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 12, arbitrary: fc.array(fc.constantFrom(...FRAGMENTS), { minLength: 1, maxLength: 8 }).map((parts) => parts.join(' ')) },
  { weight: 3, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 2, arbitrary: fc.constantFrom('', '   ', ';', 'SELECT ?', 'INSERT INTO t VALUES (?, ?, ?)', 'SELECT :a, @b, $c') },
  { weight: 1, arbitrary: fc.constant(HUGE_STRING) },
  { weight: 1, arbitrary: fc.oneof(fc.integer(), fc.constant(null), fc.constant(undefined), fc.constant({}), fc.constant(Symbol('sql'))) },
);

/** One value in the place of a SQL parameter: good ones and every wrong kind. */
const valueArb: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { weight: 6, arbitrary: fc.oneof(fc.integer(), fc.double(), fc.string({ maxLength: 20 }), fc.boolean(), fc.constant(null)) },
    { weight: 2, arbitrary: fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, -0, undefined) },
    { weight: 2, arbitrary: fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }) },
    { weight: 1, arbitrary: fc.constantFrom(2n ** 63n, -(2n ** 63n) - 1n, 2n ** 63n - 1n) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 16 }) },
    { weight: 1, arbitrary: fc.constantFrom<unknown>(HUGE_STRING, HUGE_BLOB) },
    {
      weight: 1,
      arbitrary: fc.constantFrom<unknown>(() => 1, Symbol('p'), new Date(0), new Map(), /x/, new Int16Array(2), new ArrayBuffer(4)),
    },
    { weight: 1, arbitrary: fc.dictionary(fc.string({ maxLength: 4 }), fc.integer(), { maxKeys: 2 }) },
    { weight: 1, arbitrary: fc.array(tie('value'), { maxLength: 2 }) },
  ),
})).value;

const paramsArb: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: fc.constant(undefined) },
  { weight: 6, arbitrary: fc.array(valueArb, { maxLength: 5 }) },
  {
    weight: 3,
    arbitrary: fc.dictionary(fc.constantFrom('a', 'b', 'c', ':a', '@b', '$c', '__proto__', 'constructor'), valueArb, { maxKeys: 3 }),
  },
  { weight: 1, arbitrary: valueArb },
);

type Call =
  { verb: 'run' | 'all' | 'get'; sql: unknown; params: unknown } | { verb: 'exec'; sql: unknown } | { verb: 'batch'; statements: unknown };

const callArb: fc.Arbitrary<Call> = fc.oneof(
  fc.record({ verb: fc.constantFrom('run' as const, 'all' as const, 'get' as const), sql: sqlArb, params: paramsArb }),
  fc.record({ verb: fc.constant('exec' as const), sql: sqlArb }),
  fc.record({
    verb: fc.constant('batch' as const),
    statements: fc.oneof(
      { weight: 4, arbitrary: fc.array(fc.record({ sql: sqlArb, params: paramsArb }, { requiredKeys: ['sql'] }), { maxLength: 3 }) },
      { weight: 1, arbitrary: valueArb },
    ),
  }),
);

/** What one call did: resolved, rejected with a code, or something the API must never do. */
type Outcome = { ok: true } | { ok: false; code: string } | { bad: string };

function describe(call: Call): string {
  const text = (value: unknown) => {
    if (typeof value === 'string') return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}... (${value.length})` : value);
    if (typeof value === 'bigint') return `${value}n`;
    if (typeof value === 'symbol' || typeof value === 'function') return String(value);
    try {
      return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v))?.slice(0, 200) ?? String(value);
    } catch {
      return Object.prototype.toString.call(value);
    }
  };
  if (call.verb === 'batch') return `batch(${text(call.statements)})`;
  if (call.verb === 'exec') return `exec(${text(call.sql)})`;
  return `${call.verb}(${text(call.sql)}, ${text(call.params)})`;
}

let syncThrows = 0;

async function attempt(db: Database, call: Call): Promise<Outcome> {
  const loose = db as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
  let promise: Promise<unknown>;
  try {
    promise =
      call.verb === 'batch'
        ? loose.batch!.call(db, call.statements)
        : call.verb === 'exec'
          ? loose.exec!.call(db, call.sql)
          : loose[call.verb]!.call(db, call.sql, call.params);
  } catch (e) {
    // Counted, not failed: a bad argument may be reported by a throw before the promise exists.
    syncThrows++;
    promise = Promise.reject(e);
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hang = new Promise<Outcome>(
    (resolve) => (timer = setTimeout(() => resolve({ bad: `no answer within ${CALL_TIMEOUT_MS} ms` }), CALL_TIMEOUT_MS)),
  );
  const settled = promise.then(
    (): Outcome => ({ ok: true }),
    (e: unknown): Outcome => {
      if (!(e instanceof SqliteError)) return { bad: `rejected with a non-SqliteError: ${String(e)}` };
      if (typeof e.code !== 'string' || e.code.length === 0) return { bad: `SqliteError without a code: ${e.message}` };
      return { ok: false, code: e.code };
    },
  );
  return Promise.race([settled, hang]).finally(() => clearTimeout(timer));
}

test(`${CASES} groups of bad calls: each resolves or rejects with a coded SqliteError, none hangs, the database still works`, async () => {
  const db = await open({ storage: 'opfs' });
  await db.exec('CREATE TABLE t (a, b, c)');
  const codes = new Map<string, number>();
  let resolved = 0;

  await fc.assert(
    fc.asyncProperty(fc.array(callArb, { minLength: 1, maxLength: 3 }), async (calls) => {
      // Calls of one case go out together, so a bad request shares a writer group with others.
      const outcomes = await Promise.all(calls.map((call) => attempt(db, call)));
      outcomes.forEach((outcome, i) => {
        if ('bad' in outcome) throw new Error(`${describe(calls[i]!)}: ${outcome.bad}`);
        if (outcome.ok) resolved++;
        else codes.set(outcome.code, (codes.get(outcome.code) ?? 0) + 1);
      });
    }),
    { numRuns: CASES, endOnFailure: true },
  );

  await db.exec('CREATE TABLE IF NOT EXISTS known (id INTEGER PRIMARY KEY, body TEXT)');
  const { lastInsertRowid } = await db.run('INSERT INTO known (body) VALUES (?)', ['still works']);
  expect(await db.get('SELECT body FROM known WHERE id = ?', [lastInsertRowid])).toEqual({ body: 'still works' });
  expect((await db.get<{ integrity_check: string }>('PRAGMA integrity_check'))?.integrity_check).toBe('ok');
  console.log(
    `fuzz-input: ${resolved} resolved, rejected by code ${JSON.stringify(Object.fromEntries(codes))}, ${syncThrows} thrown before returning a promise`,
  );
}, 120_000);
