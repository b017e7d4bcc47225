// The container's health check (Dockerfile HEALTHCHECK, docker-compose.yml): asks the port this
// process's role serves its health on. ROLE=all or admin: the admin server (ADMIN_HOST:ADMIN_PORT);
// ROLE=gateway or worker: the metrics server (METRICS_HOST:METRICS_PORT), which serves /healthz
// and /readyz beside /metrics. Usage: node deploy/healthcheck.mjs [/healthz|/readyz]
// Exit 0: the path answered 2xx; exit 1 otherwise, with the reason on stderr (docker inspect shows it).
const path = process.argv[2] ?? '/healthz';
const role = process.env.ROLE || 'all';
const split = role === 'gateway' || role === 'worker';
const port = split ? process.env.METRICS_PORT : process.env.ADMIN_PORT || '3000';
if (!port) {
  console.error(
    `ROLE=${role} serves ${path} on METRICS_PORT, which is not set: set it to check this container`,
  );
  process.exit(1);
}
// A server listening on every address is asked on loopback; one bound to an address, there.
const bound = (split ? process.env.METRICS_HOST : process.env.ADMIN_HOST) || '127.0.0.1';
const host = bound === '0.0.0.0' || bound === '::' ? '127.0.0.1' : bound.includes(':') ? `[${bound}]` : bound;
const url = `http://${host}:${port}${path}`;
fetch(url, { signal: AbortSignal.timeout(4000) }).then(
  (res) => {
    if (!res.ok) console.error(`${url} answered ${res.status}`);
    process.exit(res.ok ? 0 : 1);
  },
  (err) => {
    console.error(`${url}: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
