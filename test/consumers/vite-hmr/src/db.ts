// The module that opens the database. Editing it makes Vite run it again (HMR): without the
// dispose line, the handle it opened the time before, and its worker, would stay open.
import { openDatabase } from 'sqlite-baton'

export const db = await openDatabase('hmr.db')
import.meta.hot?.dispose(() => db.close())

export const version = 1
