import mongoose, { type Connection } from 'mongoose';

// Unknown paths in a filter are dropped rather than queried. Operators never come from user
// input in the first place: every chat or HTTP value is parsed by zod into a plain string.
mongoose.set('strictQuery', true);

export async function connectMongo(
  uri: string,
  options: { serverSelectionTimeoutMS?: number } = {},
): Promise<Connection> {
  const conn = mongoose.createConnection(uri, {
    serverSelectionTimeoutMS: options.serverSelectionTimeoutMS ?? 10_000,
    // FerretDB and MongoDB 7 both speak this; retryable writes need a replica set FerretDB lacks.
    retryWrites: false,
    autoIndex: false,
  });
  await conn.asPromise();
  return conn;
}
