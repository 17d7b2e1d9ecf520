/** The shape every local-stack component (Kafka, ClickHouse, MailDev, registry) exports to the orchestrator. */

/** One server of the local stack: how to start it and how to tell it is ready. */
export interface Component {
  /** Short name: data subfolder, pid file and log file are named after it. */
  name: string;
  /** Where clients reach it, for the status table. */
  address(): string;
  /** How long a cold start may take before we give up and show the log. */
  readyTimeoutMs: number;
  /** A real readiness probe (protocol request or HTTP ping), false on any error. */
  healthy(): Promise<boolean>;
  /** Prepare config/data and spawn the detached process; returns its pid. */
  start(): number | Promise<number>;
  /** Settings applied through the running server once it is ready (idempotent; run on every `up`). */
  configure?(): Promise<void>;
  /** The log worth quoting when start-up fails, if not the default stdout log. */
  logFile?(): string;
}
