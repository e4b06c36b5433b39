import { chmod, mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * A new, empty temporary directory that an embedded PostgreSQL can live in: run as root, the
 * server runs as the `postgres` user, which must be able to enter it (o+x; nothing listable).
 */
export async function createTempDir(prefix: string): Promise<string> {
  const directory = await mkdtemp(join(tmpdir(), prefix));
  await chmod(directory, 0o711);
  return directory;
}
