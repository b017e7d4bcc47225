import type { Connection } from 'mongoose';
import { serverShape } from './server-shape.js';

/**
 * By-key statements (updateOne, replaceOne) one write command may carry on FerretDB.
 *
 * FerretDB 1.24 on PostgreSQL holds the connection of every statement of an `update` command that
 * matched (it reads the statement's lookup only up to its first document and closes it when the
 * command ends), and takes one more to write each: a bulk write of more matching statements than
 * its pool (`pool_max_conns`, 50 unless set) waits for a connection forever, and every other
 * command on that server with it. Measured: the demo seed's second run (50 matching upserts)
 * hung 3 runs of 3. A `delete` or `insert` command releases as it goes and `updateMany` is one
 * statement, so only by-key bulk writes are chunked. The SQLite backend does not lock up, but
 * one cap for FerretDB costs it a round trip per few statements only where such writes are large.
 */
export const FERRETDB_WRITE_STATEMENTS = 5;

/**
 * Chunked writes FerretDB's pool must serve at the same moment without any of them waiting
 * forever: each holds at most FERRETDB_WRITE_STATEMENTS connections, so a pool larger than
 * their sum always has one free to finish a statement (local services size it from this).
 */
export const FERRETDB_CONCURRENT_WRITES = 4;

/** Statements per write command for the server `conn` talks to: MongoDB takes any number. */
export async function writeStatementsCap(conn: Connection): Promise<number> {
  const { idOnlyLookups } = await serverShape(conn);
  return idOnlyLookups ? FERRETDB_WRITE_STATEMENTS : Number.POSITIVE_INFINITY;
}

/** The counts of a bulk write's result (the driver's and mongoose's `BulkWriteResult`). */
export interface BulkCounts {
  insertedCount: number;
  matchedCount: number;
  modifiedCount: number;
  deletedCount: number;
  upsertedCount: number;
}

const COUNTS: (keyof BulkCounts)[] = [
  'insertedCount',
  'matchedCount',
  'modifiedCount',
  'deletedCount',
  'upsertedCount',
];

/**
 * Sends `statements` through `write` in commands of at most the server's cap, one after the
 * other, and adds up their counts. A failed command stops the rest and is thrown: the callers'
 * writes are idempotent (upserts with $setOnInsert, guarded replaces) and are retried whole.
 */
export async function bulkWriteInChunks<T>(
  conn: Connection,
  statements: readonly T[],
  write: (chunk: T[]) => Promise<BulkCounts>,
): Promise<BulkCounts> {
  const total: BulkCounts = {
    insertedCount: 0,
    matchedCount: 0,
    modifiedCount: 0,
    deletedCount: 0,
    upsertedCount: 0,
  };
  if (statements.length === 0) return total;
  const cap = await writeStatementsCap(conn);
  const size = Number.isFinite(cap) ? cap : statements.length;
  for (let i = 0; i < statements.length; i += size) {
    const result = await write(statements.slice(i, i + size));
    for (const key of COUNTS) total[key] += result[key];
  }
  return total;
}
