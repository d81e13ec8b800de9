"use client";
// The consumer check's page (scripts/consumers.ts drives it): a client component that opens the
// database for its lifetime. It reports through `data-state` and `window.consumer`.
import { useEffect, useState } from "react";
import { openDatabase, type Database } from "sqlite-baton";

export default function NotesCheck() {
  const [state, setState] = useState("opening");

  useEffect(() => {
    let db: Database | undefined;
    let unmounted = false;
    openDatabase("consumer.db")
      .then(async (opened) => {
        db = opened;
        if (unmounted) return opened.close();
        await opened.exec("CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL)");
        Object.assign(window, {
          consumer: {
            add: async (body: string) => void (await opened.run("INSERT INTO notes (body) VALUES (?)", [body])),
            bodies: async () => (await opened.all<{ body: string }>("SELECT body FROM notes ORDER BY id")).map((row) => row.body),
            role: async () => (await opened.status()).role,
          },
        });
        setState(`ready (${opened.storage})`);
        document.body.dataset.state = "ready";
      })
      .catch((error: unknown) => {
        setState(`error: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
        document.body.dataset.state = "error";
      });
    return () => {
      unmounted = true;
      void db?.close();
    };
  }, []);

  return <p>{state}</p>;
}
