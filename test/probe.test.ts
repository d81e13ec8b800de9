import { expect, it } from 'vitest';
import { open } from './support/open.ts';

for (const storage of ['opfs', 'memory', 'opfs', 'memory'] as const) {
  it(`probe ${storage}`, async () => {
    const db = await open({ storage });
    await db.exec('CREATE TABLE t (x)');
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let entered!: () => void;
    const inside = new Promise<void>((resolve) => (entered = resolve));
    const transaction = db.transaction(async () => { entered(); await held; });
    await inside;
    const waiting = db.run('INSERT INTO t VALUES (1)').then((v) => ({ v }), (e: any) => ({ code: e?.code, msg: e?.message }));
    await db.close();
    release();
    const t = await transaction.then(() => 'ok', (e: any) => e?.code);
    const w = await Promise.race([waiting, new Promise((r) => setTimeout(() => r('HANG'), 2000))]);
    console.log(storage, JSON.stringify({ t, w }));
    expect(1).toBe(1);
  });
}
