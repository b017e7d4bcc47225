import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';
import type { Connection } from 'mongoose';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { connectMongo } from '../../src/db/index.js';
import { pollUntil } from '../helpers/poll.js';

/**
 * The cause of the intermittent MongoDB-outage reliability test, made deterministic. When the
 * server stopped, the driver started a heartbeat on its monitoring socket just as that socket
 * closed; the heartbeat never ended, the monitor never started another, and the server stayed
 * Unknown: every query of the process failed for good although MongoDB was back (requests stayed
 * queued/processing 240 s later).
 *
 * Here a TCP proxy in front of the run's MongoDB-wire server plays the outage: it closes the
 * query connections and refuses new ones, while the monitoring connection (the client's first)
 * stays open and swallows what is sent, so the heartbeat asked for by the next query never hears
 * back (`connectTimeoutMS=0`: no socket timeout bounds it, as none fired on the destroyed socket).
 * When the proxy takes connections again, queries must succeed within seconds: the watchdog in
 * db/connection.ts restarts the stuck monitor.
 */

interface Pair {
  client: Socket;
  upstream: Socket;
  frozen: boolean;
}

/** Forwards to the server; `down()` is an outage that leaves the first connection hanging. */
class OutageProxy {
  readonly pairs: Pair[] = [];
  private down_ = false;
  private server: Server | undefined;
  port = 0;

  constructor(private readonly target: { host: string; port: number }) {}

  async start(): Promise<void> {
    this.server = createServer((client) => {
      if (this.down_) {
        client.destroy();
        return;
      }
      const upstream = tcpConnect(this.target.port, this.target.host);
      const pair: Pair = { client, upstream, frozen: false };
      this.pairs.push(pair);
      client.on('data', (d) => {
        if (!pair.frozen) upstream.write(d);
      });
      upstream.on('data', (d) => {
        if (!pair.frozen) client.write(d);
      });
      const end = () => {
        if (pair.frozen) return;
        client.destroy();
        upstream.destroy();
      };
      client.on('close', end).on('error', end);
      upstream.on('close', end).on('error', end);
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    const address = this.server.address();
    this.port = typeof address === 'object' && address ? address.port : 0;
  }

  down(): void {
    this.down_ = true;
    const [monitor, ...rest] = this.pairs;
    if (monitor) monitor.frozen = true;
    for (const p of rest) {
      p.client.destroy();
      p.upstream.destroy();
    }
  }

  up(): void {
    this.down_ = false;
  }

  async close(): Promise<void> {
    for (const p of this.pairs) {
      p.client.destroy();
      p.upstream.destroy();
    }
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

let proxy: OutageProxy;
let conn: Connection;
let restarts = 0;

beforeAll(async () => {
  const base = new URL(inject('mongoBaseUri'));
  proxy = new OutageProxy({ host: base.hostname, port: Number(base.port || 27017) });
  await proxy.start();
  const options = 'heartbeatFrequencyMS=500&connectTimeoutMS=0&serverSelectionTimeoutMS=1000';
  conn = await connectMongo(`mongodb://127.0.0.1:${proxy.port}/t_monitor_stall?${options}`, {
    onMonitorRestart: () => {
      restarts++;
    },
  });
});
afterAll(async () => {
  await conn?.close(true);
  await proxy?.close();
});

const ping = async (): Promise<boolean> =>
  (await conn.db?.command({ ping: 1 }).then(
    () => true,
    () => false,
  )) ?? false;

describe('a heartbeat that never ends during a MongoDB outage', () => {
  it('does not leave the process unable to reach MongoDB once it is back', async () => {
    const started = Date.now();
    expect(await ping()).toBe(true);
    // A monitor that answers is left alone, however long it has run (its silence limit is 1.5 s).
    await pollUntil('a few heartbeats', async () => (await ping()) && Date.now() - started > 2_000, {
      timeoutMs: 10_000,
      everyMs: 200,
    });
    expect(restarts).toBe(0);
    // The first connection is the monitor's (opened by connect), the rest are the pool's.
    expect(proxy.pairs.length).toBeGreaterThan(1);

    proxy.down();
    // A query meets a closed connection: the server is marked Unknown and a heartbeat is asked
    // for, on the monitoring connection that will never answer.
    expect(await ping()).toBe(false);
    expect(await ping()).toBe(false);

    proxy.up();
    const back = Date.now();
    await pollUntil('a query to succeed after the outage', ping, {
      timeoutMs: 15_000,
      everyMs: 200,
    });
    // Within a few heartbeat periods, not at the next process restart.
    expect(Date.now() - back).toBeLessThan(15_000);
    expect(restarts).toBeGreaterThan(0);
  });
});
