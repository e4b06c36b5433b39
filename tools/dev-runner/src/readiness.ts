import { get } from "node:http";

/** Whether a service's ops server answers `GET /readyz` with 200 (connection errors count as no). */
export function isReady(opsPort: number, timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const request = get(
      { host: "127.0.0.1", port: opsPort, path: "/readyz", agent: false, timeout: timeoutMs },
      (response) => {
        response.resume();
        resolve(response.statusCode === 200);
      },
    );
    request.once("timeout", () => request.destroy());
    request.once("error", () => resolve(false));
  });
}
