// Shows the database of ./db.ts, and takes the new one each time that module is replaced.
import { db, version } from './db.ts'

type Db = typeof db

function show(next: Db, nextVersion: number): void {
  Object.assign(window, {
    hmr: {
      version: nextVersion,
      add: async (body: string): Promise<void> => {
        await next.run('INSERT INTO notes (body) VALUES (?)', [body])
      },
      bodies: async (): Promise<string[]> => (await next.all<{ body: string }>('SELECT body FROM notes ORDER BY id')).map((row) => row.body),
      role: async (): Promise<string> => (await next.status()).role,
    },
  })
  document.querySelector('#app')!.textContent = `ready (version ${nextVersion})`
}

try {
  await db.exec('CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL)')
  show(db, version)
  document.body.dataset.state = 'ready'
} catch (error) {
  document.querySelector('#app')!.textContent = `error: ${String(error)}`
  document.body.dataset.state = 'error'
}

import.meta.hot?.accept('./db.ts', (next) => {
  if (next) show(next.db, next.version)
})
