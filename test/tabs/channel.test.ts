/**
 * The cross-tab transport takes messages from anyone in the origin: malformed, spoofed or hostile
 * messages are dropped or answered with an error, and the leader keeps serving.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { PROTOCOL_VERSION } from '../../src/channels.ts';
import type { Tab } from '../support/tab.ts';
import { useTabs } from '../support/tabs.ts';
import { sleep } from '../support/sleep.ts';
import { uniqueName } from '../support/unique-name.ts';

// The messages below are written by hand in the cross-tab protocol's current version.
expect(PROTOCOL_VERSION).toBe(2);

const tabs = useTabs({ beforeAll, afterAll });

test('junk, spoofed replies and hostile calls on the channels leave the leader serving', async () => {
  const name = uniqueName('junk');
  const leaderPage = await tabs().openTab();
  const leaderTab = await leaderPage.evaluate((n) => window.harness.open(n), name);
  const followerPage = await tabs().openTab();
  const followerTab = await followerPage.evaluate((n) => window.harness.open(n), name);
  const attacker = await tabs().openTab();

  const answer = await attacker.evaluate(
    async ([db, leader, follower]) => {
      const control = new BroadcastChannel(`sqlite-baton:${db}`);
      const junk: unknown[] = [
        null,
        42,
        'hello',
        [],
        {},
        { v: 2, t: 'announce' },
        { v: 2, t: 'announce', from: 'x', epoch: -1 },
        { v: 2, t: 'announce', from: 'x'.repeat(1000), epoch: 1 },
        { v: 2, t: 'nonsense', from: 'x' },
        JSON.parse('{"__proto__": {"polluted": true}, "v": 1, "t": "discover", "from": "p"}'),
        { v: 2, t: 'hello', from: 'fake~0', to: 'nobody', epoch: 1 },
        // A claim to lead under a much newer epoch: the leader checks the file and ignores it.
        { v: 2, t: 'announce', from: 'impostor~0', epoch: 1_000_000 },
      ];
      for (const message of junk) control.postMessage(message);
      // Spoofed replies to the follower, and hostile calls to the leader as a made-up follower.
      const followerRpc = new BroadcastChannel(`sqlite-baton:${db}:rpc:${follower}~0`);
      followerRpc.postMessage({
        v: 2,
        t: 'rpc',
        from: `${leader}~0`,
        to: `${follower}~0`,
        epoch: 1,
        bodies: [{ id: 'x', type: 'RAW', value: 1 }],
      });
      followerRpc.postMessage({
        v: 2,
        t: 'rpc',
        from: `${leader}~0`,
        to: `${follower}~0`,
        epoch: 1,
        bodies: [{ id: 'y', type: 'HANDLER', name: 'proxy', value: null }],
      });

      const fake = 'fake~0';
      // Hold a peer lock as a real follower would, so the leader keeps this channel open.
      await new Promise<void>((held) => {
        void navigator.locks.request(`sqlite-baton:${db}:peer:${fake}`, () => {
          held();
          return new Promise(() => undefined);
        });
      });
      const fakeRpc = new BroadcastChannel(`sqlite-baton:${db}:rpc:${fake}`);
      const welcomed = new Promise<number>((resolve) => {
        control.onmessage = (e: MessageEvent) => {
          if (e.data?.t === 'welcome' && e.data.to === fake) resolve(e.data.epoch);
        };
      });
      control.postMessage({ v: 2, t: 'hello', from: fake, to: `${leader}~0`, epoch: 1 });
      const epoch = await welcomed;
      const replies: unknown[] = [];
      fakeRpc.onmessage = (e: MessageEvent) => replies.push(...((e.data?.bodies as unknown[] | undefined) ?? []));
      const call = (id: string, path: unknown, args: unknown) =>
        fakeRpc.postMessage({
          v: 2,
          t: 'rpc',
          from: fake,
          to: `${leader}~0`,
          epoch,
          bodies: [{ id, type: 'APPLY', path, argumentList: args }],
        });
      call('a', ['constructor'], []);
      call('b', ['execute', 'x'], []);
      call('c', ['execute'], [{ type: 'HANDLER', name: 'proxy', value: 1 }]);
      call('d', ['execute'], [{ type: 'RAW', value: { op: 'drop everything' } }]);
      call('e', ['execute'], [{ type: 'RAW', value: { op: 'run', sql: 'SELECT 1', requestId: 'r', deadline: 'never' } }]);
      fakeRpc.postMessage({
        v: 2,
        t: 'rpc',
        from: fake,
        to: `${leader}~0`,
        epoch,
        bodies: [{ id: 'f', type: 'SET', path: ['execute'], value: { type: 'RAW', value: 1 } }],
      });
      await new Promise((r) => setTimeout(r, 500));
      control.close();
      followerRpc.close();
      fakeRpc.close();
      return { polluted: ({} as Record<string, unknown>).polluted, replies };
    },
    [name, leaderTab, followerTab] as const,
  );

  expect(answer.polluted).toBeUndefined();
  // Calls of unknown shape (a, b, c, f) are dropped; well-formed calls carrying a bad request
  // (d, e) are answered with a typed error, never with a result.
  expect(answer.replies).toHaveLength(2);
  for (const reply of answer.replies) expect(reply).toMatchObject({ type: 'HANDLER', name: 'throw', value: { code: 'INVALID_ARGUMENT' } });

  await followerPage.evaluate((t) => window.harness.write(t, 10, 2), followerTab);
  await leaderPage.evaluate((t) => window.harness.write(t, 10, 2), leaderTab);
  const outcomes = [
    ...(await followerPage.evaluate(() => window.harness.outcomes)),
    ...(await leaderPage.evaluate(() => window.harness.outcomes)),
  ];
  expect(outcomes.filter((o) => !o.ok)).toEqual([]);
  const statuses = await Promise.all([leaderPage, followerPage].map((p) => p.evaluate(() => window.db.status())));
  expect(statuses.map((s) => s.role)).toEqual(['leader', 'follower']);
  expect(statuses[1]!.leaderId).toBe(leaderTab);
  expect(statuses[0]!.epoch).toBeLessThan(1_000_000);
  expect(tabs().pageErrors).toEqual([]);
});

test('followers hear leaderchange events and status reports the queue depth', async () => {
  const name = uniqueName('events');
  const first = await tabs().openTab();
  await first.evaluate((n) => window.harness.open(n), name);
  const second = await tabs().openTab();
  await second.evaluate((n) => window.harness.open(n), name);
  await second.evaluate(() => {
    (window as unknown as { changes: unknown[] }).changes = [];
    window.db.addEventListener('leaderchange', (e) =>
      (window as unknown as { changes: unknown[] }).changes.push((e as CustomEvent).detail),
    );
  });
  const before = await second.evaluate(() => window.db.status());
  await first.close();
  // Events travel on their own port, so wait for the event rather than for status().
  await second.waitForFunction(() => (window as unknown as { changes: Array<{ role: string }> }).changes.some((c) => c.role === 'leader'));
  const changes = await second.evaluate(() => (window as unknown as { changes: Array<{ role: string; epoch: number }> }).changes);
  expect(changes.at(-1)).toMatchObject({ role: 'leader' });
  expect(changes.at(-1)!.epoch).toBeGreaterThan(before.epoch);
  const after = await second.evaluate(() => window.db.status());
  expect(after).toMatchObject({ role: 'leader', queueDepth: 0, inTransaction: false, storage: 'opfs' });
});

test('a spoofed announce and welcome under a newer epoch do not pull a follower away from its leader', async () => {
  const name = uniqueName('spoof');
  const leaderPage = await tabs().openTab();
  const leaderTab = await leaderPage.evaluate((n) => window.harness.open(n), name);
  const followerPage = await tabs().openTab();
  const followerTab = await followerPage.evaluate((n) => window.harness.open(n, 5_000), name);
  const { epoch } = await leaderPage.evaluate(() => window.db.status());
  await leaderPage.evaluate(
    ([db, leader, follower, e]) => {
      const control = new BroadcastChannel(`sqlite-baton:${db}`);
      control.postMessage({ v: 2, t: 'announce', from: `${leader}~0`, epoch: (e as number) + 1 });
      control.postMessage({ v: 2, t: 'welcome', from: `${leader}~0`, to: `${follower}~0`, epoch: (e as number) + 1 });
      control.close();
    },
    [name, leaderTab, followerTab, epoch] as const,
  );
  await sleep(1_500);
  const outcomes = await followerPage.evaluate((t) => window.harness.write(t, 5, 1), followerTab);
  expect(outcomes.filter((o) => !o.ok)).toEqual([]);
  expect(await followerPage.evaluate(() => window.db.status())).toMatchObject({ role: 'follower', leaderId: leaderTab, epoch });
});

/** A made-up follower in `page`: it holds a peer lock, is welcomed by the leader and calls it directly. */
interface FakePeer {
  call(id: string, request: object): void;
  answers: Record<string, unknown>;
  close(): void;
}
type FakeWindow = Window & { fake: FakePeer };

async function joinAsFakePeer(page: Tab, db: string, leader: string, fake: string): Promise<void> {
  await page.evaluate(
    async ([db, leader, fake]) => {
      await new Promise<void>((held) => {
        void navigator.locks.request(`sqlite-baton:${db}:peer:${fake}`, () => {
          held();
          return new Promise(() => undefined);
        });
      });
      const control = new BroadcastChannel(`sqlite-baton:${db}`);
      const epoch = await new Promise<number>((resolve) => {
        control.onmessage = (e: MessageEvent) => {
          if (e.data?.t === 'welcome' && e.data.to === fake) resolve(e.data.epoch);
        };
        control.postMessage({ v: 2, t: 'hello', from: fake, to: `${leader}~0`, epoch: 1 });
      });
      const rpc = new BroadcastChannel(`sqlite-baton:${db}:rpc:${fake}`);
      const peer: FakePeer = {
        answers: {},
        call: (id, request) =>
          rpc.postMessage({
            v: 2,
            t: 'rpc',
            from: fake,
            to: `${leader}~0`,
            epoch,
            bodies: [{ id, type: 'APPLY', path: ['execute'], argumentList: [{ type: 'RAW', value: request }] }],
          }),
        close: () => {
          rpc.close();
          control.close();
        },
      };
      rpc.onmessage = (e: MessageEvent) => {
        for (const body of (e.data?.bodies as Array<{ id: string }> | undefined) ?? []) peer.answers[body.id] = body;
      };
      (window as unknown as FakeWindow).fake = peer;
    },
    [db, leader, fake] as const,
  );
}

test('a BEGIN sent again by its owner (its answer was lost) is answered, not queued behind itself', async () => {
  const name = uniqueName('rebegin');
  const leaderPage = await tabs().openTab();
  const leaderTab = await leaderPage.evaluate((n) => window.harness.open(n), name);
  const peer = await tabs().openTab();
  await joinAsFakePeer(peer, name, leaderTab, 'rebegin~0');
  const replies = await peer.evaluate(async () => {
    const { fake } = window as unknown as FakeWindow;
    const deadline = Date.now() + 2_000;
    fake.call('first', { op: 'begin', txId: 'T', requestId: 'b1', deadline });
    fake.call('again', { op: 'begin', txId: 'T', requestId: 'b2', deadline });
    await new Promise((r) => setTimeout(r, 500));
    fake.call('end', { op: 'rollback', txId: 'T', requestId: 'r1', deadline });
    await new Promise((r) => setTimeout(r, 300));
    fake.close();
    return fake.answers;
  });
  expect(replies.first).toMatchObject({ type: 'RAW' });
  expect(replies.again).toMatchObject({ type: 'RAW' });
  expect(replies.end).toMatchObject({ type: 'RAW' });
  expect(await leaderPage.evaluate(() => window.db.status())).toMatchObject({ inTransaction: false, queueDepth: 0 });
});

test('a BEGIN sent again while the first still waits in the queue opens one transaction, not two', async () => {
  const name = uniqueName('rebegin-queued');
  const leaderPage = await tabs().openTab();
  const leaderTab = await leaderPage.evaluate((n) => window.harness.open(n), name);
  // The leader's own transaction holds the writer, so both BEGINs below wait in its queue.
  await leaderPage.evaluate((t) => window.harness.openTransaction(t), leaderTab);
  const peer = await tabs().openTab();
  await joinAsFakePeer(peer, name, leaderTab, 'rebegin-queued~0');
  await peer.evaluate(() => {
    const { fake } = window as unknown as FakeWindow;
    const deadline = Date.now() + 10_000;
    fake.call('first', { op: 'begin', txId: 'T', requestId: 'b1', deadline });
    fake.call('again', { op: 'begin', txId: 'T', requestId: 'b2', deadline });
  });
  await leaderPage.waitForFunction(async () => (await window.db.status()).queueDepth >= 1);
  await leaderPage.evaluate(() => window.harness.release!(true));
  await peer.waitForFunction(() => {
    const { answers } = (window as unknown as FakeWindow).fake;
    return answers.first !== undefined && answers.again !== undefined;
  });
  await peer.evaluate(() =>
    (window as unknown as FakeWindow).fake.call('end', { op: 'rollback', txId: 'T', requestId: 'r1', deadline: Date.now() + 2_000 }),
  );
  await peer.waitForFunction(() => (window as unknown as FakeWindow).fake.answers.end !== undefined);
  const answers = await peer.evaluate(() => (window as unknown as FakeWindow).fake.answers);
  expect(answers).toMatchObject({ first: { type: 'RAW' }, again: { type: 'RAW' }, end: { type: 'RAW' } });
  // Without the writer's check the second BEGIN opened a transaction of its own once the first ended.
  await sleep(300);
  expect(await leaderPage.evaluate(() => window.db.status())).toMatchObject({ inTransaction: false, queueDepth: 0 });
});
