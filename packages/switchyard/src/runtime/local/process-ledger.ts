/** A process about to be started, as the process record keeps it. */
export interface StartingProcess {
  /** Unique in the data directory: `router-<service>`, or the replica's name. */
  readonly name: string;
  readonly kind: 'router' | 'replica' | 'worker';
  readonly service: string;
  readonly track?: string;
  readonly version?: string;
  readonly port?: number;
  /** The argv it is started with (the executable resolved). */
  readonly command: readonly string[];
}

/**
 * Where every process Switchyard starts is written down before it starts, so that a control
 * plane killed at any moment leaves nothing it cannot find again (the runtime's process record).
 */
export interface ProcessLedger {
  /** Environment variables that tie the process to its entry. */
  tag(name: string): Record<string, string>;
  starting(entry: StartingProcess): void;
  started(name: string, pid: number): void;
  gone(name: string, pid?: number): void;
}
