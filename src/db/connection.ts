import mongoose, { type Connection } from 'mongoose';
import { watchMonitor } from './monitor-watchdog.js';

// Unknown paths in a filter are dropped rather than queried. Operators never come from user
// input in the first place: every chat or HTTP value is parsed by zod into a plain string.
mongoose.set('strictQuery', true);

export async function connectMongo(
  uri: string,
  options: {
    serverSelectionTimeoutMS?: number;
    /** Told when the driver's stuck server monitor is restarted (monitor-watchdog.ts). */
    onMonitorRestart?: (servers: number) => void;
  } = {},
): Promise<Connection> {
  // How long an operation waits for a reachable server before it fails (and its job retries):
  // 10 s unless the URI says otherwise (`?serverSelectionTimeoutMS=…`).
  const inUri = /[?&]serverSelectionTimeoutMS=/i.test(uri);
  const conn = mongoose.createConnection(uri, {
    ...(inUri && options.serverSelectionTimeoutMS === undefined
      ? {}
      : { serverSelectionTimeoutMS: options.serverSelectionTimeoutMS ?? 10_000 }),
    // FerretDB and MongoDB 7 both speak this; retryable writes need a replica set FerretDB lacks.
    retryWrites: false,
    autoIndex: false,
  });
  await conn.asPromise();
  // Without it, a MongoDB restart can leave the process unable to reach MongoDB for good.
  const client = conn.getClient();
  const watchdog = watchMonitor(client, {
    heartbeatFrequencyMS: client.options.heartbeatFrequencyMS,
    connectTimeoutMS: client.options.connectTimeoutMS,
    ...(options.onMonitorRestart ? { onRestart: options.onMonitorRestart } : {}),
  });
  conn.once('close', () => watchdog.stop());
  return conn;
}
