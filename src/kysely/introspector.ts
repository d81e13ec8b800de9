import {
  SqliteIntrospector,
  type DatabaseIntrospector,
  type DatabaseMetadataOptions,
  type Kysely,
  type SchemaMetadata,
  type TableMetadata,
} from 'kysely';

/** SQLite's introspection (Kysely's own), without the library's tables (`_baton_requests`, `_baton_meta`, `_baton_migrations`). */
export class BatonIntrospector implements DatabaseIntrospector {
  private readonly sqlite: SqliteIntrospector;

  constructor(db: Kysely<any>) {
    this.sqlite = new SqliteIntrospector(db);
  }

  getSchemas(): Promise<SchemaMetadata[]> {
    return this.sqlite.getSchemas();
  }

  async getTables(options?: DatabaseMetadataOptions): Promise<TableMetadata[]> {
    return (await this.sqlite.getTables(options)).filter((table) => !table.name.startsWith('_baton_'));
  }
}
