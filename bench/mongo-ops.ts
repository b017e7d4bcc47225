import type { CommandStartedEvent } from 'mongodb';
import type { AppContext } from '../src/app/context.js';
import { assumeServerShape, type ServerShape, serverShape } from '../src/db/server-shape.js';
import { createRequestService } from '../src/requests/service.js';
import type { HandlerDeps } from '../src/workers/outcome.js';
import { processRequest } from '../src/workers/request-worker.js';

/**
 * Round trips to MongoDB, counted by the driver's own command monitoring (`commandStarted`), so
 * what is counted is what went over the wire, whatever layer (mongoose, the driver) sent it.
 * A context counts only when its URI asks for monitoring: see `monitoredUri`.
 */

/** The connection handshake and server monitoring are not the application's round trips. */
const NOT_OURS = new Set([
  'hello',
  'ismaster',
  'isMaster',
  'ping',
  'saslStart',
  'saslContinue',
  'endSessions',
]);

export const monitoredUri = (uri: string) => `${uri}${uri.includes('?') ? '&' : '?'}monitorCommands=true`;

export interface CommandCounter {
  /** Commands started since the last reset, by name (`find`, `insert`, `update`, …). */
  byCommand(): Record<string, number>;
  total(): number;
  reset(): void;
  stop(): void;
}

export function countCommands(ctx: AppContext): CommandCounter {
  const client = ctx.mongo.getClient();
  if (!client.options.monitorCommands)
    throw new Error('count MongoDB commands on a context whose URI has monitorCommands=true');
  const dbName = ctx.mongo.name;
  let counts = new Map<string, number>();
  const onStarted = (e: CommandStartedEvent) => {
    if (e.databaseName !== dbName || NOT_OURS.has(e.commandName)) return;
    counts.set(e.commandName, (counts.get(e.commandName) ?? 0) + 1);
  };
  client.on('commandStarted', onStarted);
  return {
    byCommand: () => Object.fromEntries(counts),
    total: () => [...counts.values()].reduce((a, b) => a + b, 0),
    reset: () => {
      counts = new Map();
    },
    stop: () => {
      client.off('commandStarted', onStarted);
    },
  };
}

export interface RequestOps {
  api: number;
  worker: number;
  total: number;
  byCommand: Record<string, number>;
}

/**
 * One request, API side (RequestService.create) and worker side (processRequest, the job's whole
 * body), counted alone: nothing else uses the context meanwhile, so every command is this
 * request's. Throws unless the request completes.
 */
export async function requestOps(
  ctx: AppContext,
  deps: HandlerDeps,
  input: Parameters<ReturnType<typeof createRequestService>['create']>[0],
  /** Count the form hakdata sends to this server (the default), or the one it sends another. */
  shape?: ServerShape,
): Promise<RequestOps> {
  if (shape) assumeServerShape(ctx.mongo, shape);
  // Asked once per connection (on the admin database, so never counted here anyway).
  await serverShape(ctx.mongo);
  const service = createRequestService(ctx, { outbox: deps.outbox });
  const counter = countCommands(ctx);
  try {
    counter.reset();
    const created = await service.create(input);
    const api = counter.total();
    const apiBy = counter.byCommand();
    counter.reset();
    const id = await ctx.models.PrivacyRequest.findOne({ ref: created.ref }, { _id: 1 }).lean();
    counter.reset();
    const status = await processRequest(ctx, deps, created.ref, id ? { id: String(id._id) } : {});
    if (status !== 'completed') throw new Error(`${input.type} request ended ${status}`);
    const worker = counter.total();
    const byCommand = { ...apiBy };
    for (const [name, n] of Object.entries(counter.byCommand())) byCommand[name] = (byCommand[name] ?? 0) + n;
    return { api, worker, total: api + worker, byCommand };
  } finally {
    counter.stop();
    await service.close();
  }
}
