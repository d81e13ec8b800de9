// The smallest app that uses SQLocal over OPFS: what it ships, next to sqlite-baton's vite-vanilla app.
import { SQLocal } from 'sqlocal';

const { sql } = new SQLocal('consumer.sqlite3');
await sql`CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL)`;
await sql`INSERT INTO notes (body) VALUES (${'hello'})`;
document.getElementById('app').textContent = JSON.stringify(await sql`SELECT body FROM notes`);
