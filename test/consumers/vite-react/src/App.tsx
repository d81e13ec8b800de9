// The consumer check's page (scripts/consumers.ts drives it): a component that opens the database
// for its lifetime. It reports through `data-state` and `window.consumer`.
import { useEffect, useState } from 'react'
import { openDatabase, type Database } from 'sqlite-baton'
import { useQuery } from 'sqlite-baton/react'

// A live list: sqlite-baton/react's hook, typed in this stock template's tsconfig.
function Notes({ db }: { db: Database | undefined }) {
  const { rows, error } = useQuery<{ id: number; body: string }>(db, 'SELECT id, body FROM notes ORDER BY id')
  if (error) return <p>{String(error)}</p>
  return (
    <ul id="notes">
      {rows.map((note) => (
        <li key={note.id}>{note.body}</li>
      ))}
    </ul>
  )
}

function App() {
  const [state, setState] = useState('opening')
  const [live, setLive] = useState<Database>()

  useEffect(() => {
    let db: Database | undefined
    let unmounted = false
    openDatabase('consumer.db')
      .then(async (opened) => {
        db = opened
        if (unmounted) return opened.close()
        await opened.exec('CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL)')
        Object.assign(window, {
          consumer: {
            add: async (body: string) => void (await opened.run('INSERT INTO notes (body) VALUES (?)', [body])),
            bodies: async () => (await opened.all<{ body: string }>('SELECT body FROM notes ORDER BY id')).map((row) => row.body),
            role: async () => (await opened.status()).role,
          },
        })
        // db.watch's handle is a function, and a disposable where the lib has `using`.
        const stop = opened.watch('SELECT count(*) AS n FROM notes', [], () => undefined)
        stop()
        setLive(opened)
        setState(`ready (${opened.storage})`)
        document.body.dataset.state = 'ready'
      })
      .catch((error: unknown) => {
        setState(`error: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`)
        document.body.dataset.state = 'error'
      })
    return () => {
      unmounted = true
      void db?.close()
    }
  }, [])

  return (
    <>
      <p>{state}</p>
      <Notes db={live} />
    </>
  )
}

export default App
