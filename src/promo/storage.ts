/**
 * FerretDB's SQLite backend answers "database is locked (SQLITE_BUSY)" when writes collide; MongoDB
 * never does. Such a call did nothing and is safe to repeat, so it is retried a few times.
 */
const TRANSIENT = /SQLITE_BUSY|database is locked/;

export async function withStorageRetry<T>(fn: () => Promise<T>, attempts = 6): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (err) {
      if (i >= attempts || !TRANSIENT.test((err as Error)?.message ?? '')) throw err;
      await new Promise((r) => setTimeout(r, 20 * 2 ** i + Math.random() * 20));
    }
  }
}
