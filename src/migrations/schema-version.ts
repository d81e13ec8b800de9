import { ControlChannel } from '../channels.ts';
import { randomId } from '../ids.ts';
import type { VersionChange } from '../types.ts';

/**
 * This tab's schema version: the number of migrations its code knows, which each of its requests
 * carries so that the leader refuses them (SCHEMA_CHANGED) once another tab has migrated further.
 * The refusal is the leader's, against the file, where it cannot race; this class only tells the
 * app (`versionchange`), when a migrating tab's notice arrives or a call was refused.
 *
 * A notice is only a hint to look: anyone in the origin can post one, so the version told to the
 * app is always read from the database.
 */

export interface SchemaVersionHost {
  /** The database's version now, read by a request that carries no version (never refused). */
  read(): Promise<number>;
  emit(detail: VersionChange): void;
}

export class SchemaVersion {
  /** The version this tab's code knows; undefined until its migrations have run. */
  private known: number | undefined;
  /** The newest version the app was told of. */
  private told = 0;
  private checking: Promise<void> | undefined;
  private recheck = false;
  /** A notice came before this tab's own run was over. */
  private heardEarly = false;
  private readonly control: ControlChannel | undefined;
  private readonly id = randomId(8);

  constructor(
    db: string,
    /** False for a private in-memory database: no other tab can migrate it. */
    shared: boolean,
    private readonly onVersionChange: 'reject' | 'continue',
    private readonly host: SchemaVersionHost,
  ) {
    if (!shared) return;
    this.control = new ControlChannel(db);
    this.control.listen((message) => {
      if (message.t !== 'schema') return;
      if (this.known === undefined) this.heardEarly = true;
      else if (message.version > this.told) this.check();
    });
  }

  /** The version a request carries: none before the run (which is exempt) or when this tab continues on newer schemas. */
  stamp(): number | undefined {
    return this.onVersionChange === 'continue' ? undefined : this.known;
  }

  /**
   * The run is over: this tab knows `version` from now on. When the run changed the database, the
   * other tabs are told to look. A notice that came during the run is looked at now.
   */
  opened(version: number, migrated: boolean): void {
    this.known = version;
    this.told = version;
    if (migrated) this.control?.post({ t: 'schema', from: this.id, version });
    if (this.heardEarly) this.check();
  }

  /** Reads the database's version and tells the app if it moved past this tab's (once per version). */
  check(): void {
    if (this.checking) {
      this.recheck = true;
      return;
    }
    this.checking = this.host
      .read()
      .then(
        (version) => {
          const known = this.known;
          if (known === undefined || version <= this.told) return;
          this.told = version;
          this.host.emit({ oldVersion: known, newVersion: version });
        },
        // A closed handle, a leader of another version: the calls themselves say so.
        () => undefined,
      )
      .finally(() => {
        this.checking = undefined;
        if (this.recheck) {
          this.recheck = false;
          this.check();
        }
      });
  }

  close(): void {
    this.control?.close();
  }
}
