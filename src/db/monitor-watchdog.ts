import type { MongoClient } from 'mongodb';

/**
 * Restarts the MongoDB driver's server monitor when it has stopped checking.
 *
 * The driver learns that a server is back only from its monitor's heartbeats; operations never
 * select an Unknown server. Found by test/reliability/mongo-outage.test.ts (mongodb 6.20): when
 * the server stops, every socket closes at once, and a heartbeat the driver starts on the
 * monitor's socket between that socket's end and its close event (a waiting operation asks for
 * one on the next tick) waits for a reply that never comes: no timeout fires on a socket already
 * destroyed. That heartbeat never ends, the monitor starts no other, the server stays Unknown,
 * and every operation of the process fails ("Server selection timed out", quoting the outage's
 * closed connection) long after MongoDB is back, until the process restarts.
 *
 * A working monitor reports a heartbeat (started, succeeded or failed) at least every
 * `heartbeatFrequencyMS`, and one heartbeat lasts at most a connect and a handshake, each bounded
 * by `connectTimeoutMS`. Silence for longer than that means the monitor is stuck: it is closed and
 * started again, which opens a fresh monitoring connection. The monitor is the driver's internal
 * object (no public call restarts it): every step is guarded, and a driver without it is left as
 * it is.
 */
export interface MonitorWatchdogOptions {
  heartbeatFrequencyMS: number;
  connectTimeoutMS: number;
  /** Told each time a stuck monitor is restarted. */
  onRestart?: (servers: number) => void;
  now?: () => number;
}

export interface MonitorWatchdog {
  /** Looks once (the timer calls it; tests call it directly); true when it restarted a monitor. */
  check(): boolean;
  stop(): void;
}

const HEARTBEAT_EVENTS = ['serverHeartbeatStarted', 'serverHeartbeatSucceeded', 'serverHeartbeatFailed'];

interface DriverMonitor {
  close(): void;
  connect(): void;
}

/** The monitors of the client's servers, where this driver version has them. */
function monitorsOf(client: MongoClient): DriverMonitor[] {
  const servers = (
    client as unknown as { topology?: { s?: { servers?: Map<string, { monitor?: unknown }> } } }
  ).topology?.s?.servers;
  if (!(servers instanceof Map)) return [];
  return [...servers.values()]
    .map((s) => s.monitor as Partial<DriverMonitor> | null | undefined)
    .filter((m): m is DriverMonitor => typeof m?.close === 'function' && typeof m.connect === 'function');
}

export function watchMonitor(client: MongoClient, options: MonitorWatchdogOptions): MonitorWatchdog {
  const now = options.now ?? Date.now;
  // Two bounded steps per heartbeat (socket connect, then the hello), plus the wait between two.
  const silentForMs = options.heartbeatFrequencyMS + 2 * options.connectTimeoutMS + 1_000;
  let lastHeard = now();
  const heard = () => {
    lastHeard = now();
  };
  for (const event of HEARTBEAT_EVENTS) client.on(event as 'serverHeartbeatStarted', heard);

  const check = () => {
    if (now() - lastHeard <= silentForMs) return false;
    const monitors = monitorsOf(client);
    for (const monitor of monitors) {
      monitor.close();
      monitor.connect();
    }
    // Counted from now: a restarted monitor reports its first heartbeat at once.
    lastHeard = now();
    if (monitors.length > 0) options.onRestart?.(monitors.length);
    return monitors.length > 0;
  };
  const timer = setInterval(check, Math.max(1_000, options.heartbeatFrequencyMS));
  timer.unref();
  return {
    check,
    stop() {
      clearInterval(timer);
      for (const event of HEARTBEAT_EVENTS) client.off(event as 'serverHeartbeatStarted', heard);
    },
  };
}
