import { randomBytes } from 'node:crypto';
import type { CommandStartedEvent } from 'mongodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  bulkWriteInChunks,
  FERRETDB_WRITE_STATEMENTS,
  serverShape,
  writeStatementsCap,
} from '../../src/db/index.js';
import { FERRETDB_POOL_MAX_CONNS } from '../../src/services/ferretdb.js';
import { createTestContext, type TestContext } from '../helpers/context.js';

/**
 * FerretDB 1.24 on PostgreSQL holds a pooled connection for each matching statement of an
 * `update` command until the command ends: one command of more matching updates than its pool
 * waits forever, and the server with it (src/db/chunked.ts). On the suite's PostgreSQL backend
 * (FERRETDB_POSTGRESQL_URL) the write below locks the server up without the chunks; on SQLite it
 * does not, so the commands are also counted: each carries at most the cap.
 */
let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext({
    MONGODB_URI: `${inject('mongoBaseUri')}/t_chunk_${randomBytes(4).toString('hex')}?monitorCommands=true`,
  });
});
afterAll(() => ctx.cleanup());

describe('bulk writes in chunks', () => {
  it('sends no more statements per command than the server holds connections for, and all of them', async () => {
    const { idOnlyLookups: ferretdb } = await serverShape(ctx.mongo);
    const cap = await writeStatementsCap(ctx.mongo);
    expect(cap).toBe(ferretdb ? FERRETDB_WRITE_STATEMENTS : Number.POSITIVE_INFINITY);

    // More than the pool a FerretDB started here has, every one matching and changing a document.
    const count = FERRETDB_POOL_MAX_CONNS + 10;
    const docs = ctx.mongo.collection<{ _id: number; v: number }>('chunked');
    await docs.insertMany(Array.from({ length: count }, (_, i) => ({ _id: i, v: 0 })));
    const sizes: number[] = [];
    const onStarted = (e: CommandStartedEvent) => {
      if (e.commandName === 'update' && e.command.update === 'chunked') sizes.push(e.command.updates.length);
    };
    const client = ctx.mongo.getClient();
    client.on('commandStarted', onStarted);
    try {
      const statements = Array.from({ length: count }, (_, i) => ({
        updateOne: { filter: { _id: i }, update: { $set: { v: 1 } } },
      }));
      const result = await bulkWriteInChunks(ctx.mongo, statements, (chunk) =>
        docs.bulkWrite(chunk, { ordered: false }),
      );
      expect(result).toMatchObject({ matchedCount: count, modifiedCount: count, upsertedCount: 0 });
    } finally {
      client.off('commandStarted', onStarted);
    }
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(count);
    if (ferretdb) {
      expect(Math.max(...sizes)).toBeLessThanOrEqual(FERRETDB_WRITE_STATEMENTS);
      expect(sizes).toHaveLength(Math.ceil(count / FERRETDB_WRITE_STATEMENTS));
    } else expect(sizes).toEqual([count]);
    // The server still answers: no connection was left waiting.
    expect(await docs.countDocuments({ v: 1 })).toBe(count);
  });

  it('sends nothing for no statements', async () => {
    let called = false;
    const result = await bulkWriteInChunks(ctx.mongo, [], async () => {
      called = true;
      throw new Error('not to be called');
    });
    expect(called).toBe(false);
    expect(result.matchedCount).toBe(0);
  });
});
