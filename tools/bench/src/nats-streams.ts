import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";

/** Deletes the run's JetStream streams (named `<PREFIX>_<SOURCE>`). */
export async function deleteStreams(natsUrl: string, prefix: string): Promise<void> {
  const connection = await connect({ servers: natsUrl });
  try {
    const manager = await jetstreamManager(connection);
    for await (const stream of manager.streams.list()) {
      if (stream.config.name.startsWith(prefix.toUpperCase()))
        await manager.streams.delete(stream.config.name);
    }
  } finally {
    await connection.close();
  }
}
