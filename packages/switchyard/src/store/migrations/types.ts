/**
 * A migration: numbered, forward-only, its statements run in one transaction. Once released a
 * migration never changes: a change to the schema is a new migration.
 */
export interface Migration {
  readonly version: number;
  readonly name: string;
  /** One statement per entry (the embedded engine runs one statement per call). */
  readonly statements: readonly string[];
}
