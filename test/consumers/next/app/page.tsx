import NotesCheck from "./notes-check";

export default function Home() {
  return (
    <main>
      <NotesCheck />
    </main>
  );
}
