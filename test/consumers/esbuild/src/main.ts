import { startNotesPage } from '../../shared/notes-page';

void startNotesPage(document.getElementById('app')!);
