import type { Connection } from 'mongoose';

/**
 * Which filters the MongoDB-wire server answers without reading a whole collection, asked once
 * per connection (`buildInfo`, on the admin database). MongoDB 7 serves any filter an index
 * covers, so one conditional write (`{_id, status}`) is one cheap round trip. FerretDB 1.24 hands
 * only `{_id: <value>}` alone to its backend (and its SQLite backend uses no index even then):
 * any other filter, `{_id, status}` included, is a read of the whole collection in FerretDB.
 * Measured here (bench, unsubscribe sequence, 300 requests): reading by `_id` and then writing
 * by `_id` (11 commands) ran 2.2–3.5 times as fast as the conditional writes (8 commands).
 * Code with both forms asks `idOnlyLookups` and takes the cheap one for the server it talks to.
 */
export interface ServerShape {
  /** Only `{_id}` lookups are cheap (FerretDB 1.x): read by `_id`, check, write by `_id`. */
  idOnlyLookups: boolean;
}

const shapes = new WeakMap<Connection, Promise<ServerShape>>();

export function serverShape(conn: Connection): Promise<ServerShape> {
  let shape = shapes.get(conn);
  if (!shape) {
    shape = detect(conn).catch((err: unknown) => {
      // Asked again next time: a server down at the first call must not fix the answer.
      shapes.delete(conn);
      throw err;
    });
    shapes.set(conn, shape);
  }
  return shape;
}

/** Fixes the answer for a connection: the benchmark counts what MongoDB 7 would be sent. */
export function assumeServerShape(conn: Connection, shape: ServerShape): void {
  shapes.set(conn, Promise.resolve(shape));
}

async function detect(conn: Connection): Promise<ServerShape> {
  const db = conn.db;
  if (!db) throw new Error('MongoDB is not connected');
  const info = await db.admin().command({ buildInfo: 1 });
  return { idOnlyLookups: typeof info.ferretdbVersion === 'string' };
}
