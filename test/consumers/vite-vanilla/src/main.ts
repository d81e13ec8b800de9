import { startNotesPage } from '../../shared/notes-page.ts'

void startNotesPage(document.querySelector<HTMLDivElement>('#app')!)
