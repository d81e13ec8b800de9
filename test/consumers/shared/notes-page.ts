// The consumer check's page, shared by the Vite vanilla, webpack and esbuild apps (each type-checks and
// bundles it its own way); scripts/consumers.ts drives it through `data-state` and `window.consumer`.
import { openDatabase } from 'sqlite-baton';

export async function startNotesPage(app: HTMLElement): Promise<void> {
  try {
    await open(app);
  } catch (error: unknown) {
    app.textContent = `error: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`;
    document.body.dataset.state = 'error';
  }
}

async function open(app: HTMLElement): Promise<void> {
  const db = await openDatabase('consumer.db');
  await db.exec('CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL)');
  // Typed events: `detail` is known without a cast, under each app's own compiler settings.
  let epoch = (await db.status()).epoch;
  db.addEventListener('leaderchange', (event) => {
    epoch = event.detail.epoch;
  });
  db.addEventListener('fallback', (event) => {
    app.title = `in memory: ${event.detail.reason}`;
  });
  Object.assign(window, {
    consumer: {
      add: async (body: string): Promise<void> => {
        await db.run('INSERT INTO notes (body) VALUES (?)', [body]);
      },
      bodies: async (): Promise<string[]> => (await db.all<{ body: string }>('SELECT body FROM notes ORDER BY id')).map((row) => row.body),
      role: async (): Promise<string> => (await db.status()).role,
      epoch: (): number => epoch,
    },
  });
  app.textContent = `ready (${db.storage})`;
  document.body.dataset.state = 'ready';
}
