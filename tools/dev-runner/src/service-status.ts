export type ServiceState = "starting" | "ready" | "crashed" | "restarting" | "stopped";

/** What the runner knows about one supervised service. */
export interface ServiceStatus {
  name: string;
  state: ServiceState;
  /** The current process, while there is one. */
  pid: number | undefined;
  /** The port the service is reached on: gRPC, or HTTP for the gateway. */
  port: number | undefined;
  opsPort: number;
  restarts: number;
  /** Why it crashed or when it restarts. */
  message: string | undefined;
  /** When it entered this state (ms since the epoch). */
  since: number;
}
