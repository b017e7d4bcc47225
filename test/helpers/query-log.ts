import type { CommandStartedEvent, Document } from 'mongodb';
import type { Model } from 'mongoose';
import type { AppContext } from '../../src/app/context.js';

/**
 * Every filter hakdata sends to MongoDB, recorded from the driver's command monitoring (the
 * context's URI must carry `monitorCommands=true`), and the rule MongoDB 7 follows to serve one
 * from an index: an index whose first field the filter constrains (equality, `$in`, a range).
 * Written for the index-coverage test: no `mongod` runs here to ask for `explain`.
 */
export interface RecordedQuery {
  collection: string;
  command: string;
  filter: Document;
}

const FIRST_KEY_OPERATORS = new Set(['$eq', '$in', '$gt', '$gte', '$lt', '$lte', '$all', '$elemMatch']);

export interface QueryRecorder {
  queries: RecordedQuery[];
  /** Runs `fn` unrecorded: the test's own reads are not production's. */
  aside<T>(fn: () => Promise<T>): Promise<T>;
  stop(): void;
}

export function recordQueries(ctx: AppContext): QueryRecorder {
  const client = ctx.mongo.getClient();
  if (!client.options.monitorCommands) throw new Error('the context URI needs monitorCommands=true');
  const queries: RecordedQuery[] = [];
  let paused = 0;
  const onStarted = (e: CommandStartedEvent) => {
    if (paused > 0 || e.databaseName !== ctx.mongo.name) return;
    const c = e.command;
    const collection = String(c[e.commandName] ?? '');
    const push = (filter: Document | undefined) =>
      queries.push({ collection, command: e.commandName, filter: filter ?? {} });
    if (e.commandName === 'find' || e.commandName === 'count' || e.commandName === 'distinct')
      push(c.filter ?? c.query);
    else if (e.commandName === 'findAndModify') push(c.query);
    else if (e.commandName === 'update') for (const u of c.updates ?? []) push(u.q);
    else if (e.commandName === 'delete') for (const d of c.deletes ?? []) push(d.q);
    else if (e.commandName === 'aggregate') push((c.pipeline?.[0] as Document | undefined)?.$match);
  };
  client.on('commandStarted', onStarted);
  return {
    queries,
    async aside(fn) {
      paused += 1;
      try {
        return await fn();
      } finally {
        paused -= 1;
      }
    },
    stop: () => client.off('commandStarted', onStarted),
  };
}

/** Each collection's indexes as the models declare them (field lists in key order), `_id` included. */
export function declaredIndexes(models: Record<string, Model<unknown>>): Map<string, string[][]> {
  const byCollection = new Map<string, string[][]>();
  for (const model of Object.values(models)) {
    const keys = model.schema.indexes().map(([fields]) => Object.keys(fields));
    byCollection.set(model.collection.collectionName, [['_id'], ...keys]);
  }
  return byCollection;
}

/** The fields a filter constrains in a way an index can seek on, per top-level clause. */
function seekableFields(filter: Document): Set<string> {
  const fields = new Set<string>();
  for (const [key, value] of Object.entries(filter)) {
    if (key === '$and')
      for (const part of value as Document[]) for (const f of seekableFields(part)) fields.add(f);
    if (key.startsWith('$')) continue;
    const isOperatorObject =
      value !== null &&
      typeof value === 'object' &&
      !Array.isArray(value) &&
      Object.keys(value).length > 0 &&
      Object.keys(value).every((k) => k.startsWith('$'));
    if (!isOperatorObject || Object.keys(value).some((op) => FIRST_KEY_OPERATORS.has(op))) fields.add(key);
  }
  return fields;
}

/** Whether MongoDB can answer the filter from one of the indexes, without a collection scan. */
export function servedByIndex(filter: Document, indexes: string[][]): boolean {
  const fields = seekableFields(filter);
  if (indexes.some((index) => index[0] !== undefined && fields.has(index[0]))) return true;
  // A top-level $or is served when each branch is (with the rest of the filter).
  const or = filter.$or as Document[] | undefined;
  if (!or) return false;
  const { $or: _or, ...rest } = filter;
  return or.every((branch) => servedByIndex({ ...rest, ...branch }, indexes));
}
