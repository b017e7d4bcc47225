import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  appEnvExample,
  appSettingsTable,
  channelSettingFields,
  composeOnlySettings,
} from '../../src/app/settings.js';
import { envFields } from '../../src/config/schema.js';

const read = (file: string) => readFileSync(file, 'utf8');
/** A compose value as compose resolves it with nothing set in .env: `${NAME:-default}` is default. */
const withDefaults = (value: string | undefined) => value?.replace(/\$\{[A-Z_]+:-([^}]*)\}/g, '$1');

interface ComposeService {
  image?: string;
  profiles?: string[];
  command?: string[];
  ports?: string[];
  build?: unknown;
  healthcheck?: { test: string[] };
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
  env_file?: string;
  environment?: Record<string, string>;
}

describe('docker-compose.yml', () => {
  const compose = parse(read('docker-compose.yml')) as {
    services: Record<string, ComposeService>;
    volumes: Record<string, unknown>;
  };

  it('runs MongoDB 7, Redis 7 and the app built from the Dockerfile', () => {
    // By default: what needs no profile (`monitoring` is optional, below).
    const byDefault = Object.entries(compose.services).filter(([, s]) => !s.profiles);
    expect(byDefault.map(([name]) => name).sort()).toEqual(['app', 'mongo', 'redis']);
    expect(compose.services.mongo?.image).toBe('mongo:7');
    expect(compose.services.redis?.image).toBe('redis:7');
    expect(compose.services.app?.build).toBe('.');
  });

  it('gives every service a health check and its data a named volume', () => {
    for (const [name, service] of Object.entries(compose.services)) {
      expect(service.healthcheck?.test[0], name).toBe('CMD');
      const volume = service.volumes?.[0]?.split(':')[0];
      expect(volume && volume in compose.volumes, name).toBe(true);
    }
  });

  it('starts the app only once MongoDB and Redis are healthy, with real settings from .env', () => {
    const app = compose.services.app;
    expect(app?.depends_on).toEqual({
      mongo: { condition: 'service_healthy' },
      redis: { condition: 'service_healthy' },
    });
    expect(app?.env_file).toBe('.env');
    const settings = { ...envFields, ...channelSettingFields() };
    for (const name of Object.keys(app?.environment ?? {})) expect(settings).toHaveProperty(name);
    expect(app?.environment?.NODE_ENV).toBe('production');
  });

  it('lets .env change the stores and the admin port: environment: would override env_file', () => {
    const environment = compose.services.app?.environment ?? {};
    // The image's own, fixed on purpose; every other value is taken from .env when set there.
    const fixed = ['NODE_ENV', 'ADMIN_HOST', 'CHROMIUM_PATH', 'WHATSAPP_SESSION_DIR'];
    for (const [name, value] of Object.entries(environment))
      if (!fixed.includes(name)) expect(value, name).toMatch(new RegExp(`^\\$\\{${name}:-[^}]+\\}$`));
    expect(Object.keys(environment)).toEqual(
      expect.arrayContaining(['MONGODB_URI', 'REDIS_URL', 'ADMIN_PORT']),
    );
    // Empty in .env (as .env.example leaves them) or unset: the stack's own MongoDB and Redis.
    expect(withDefaults(environment.MONGODB_URI)).toBe('mongodb://mongo:27017/hakdata');
    expect(withDefaults(environment.REDIS_URL)).toBe('redis://redis:6379');
    // The port published is the one the app listens on.
    const port = withDefaults(environment.ADMIN_PORT);
    expect(compose.services.app?.ports?.map(withDefaults)).toEqual([`127.0.0.1:${port}:${port}`]);
  });

  it('has an optional monitoring profile: Prometheus with the alert rules, Grafana with the dashboard', () => {
    const { prometheus, grafana } = compose.services;
    expect(prometheus?.profiles).toEqual(['monitoring']);
    expect(grafana?.profiles).toEqual(['monitoring']);
    const mounts = (s: ComposeService | undefined): Record<string, string> =>
      Object.fromEntries((s?.volumes ?? []).map((v) => [v.split(':')[1] ?? '', v.split(':')[0] ?? '']));
    // The configuration and its rules (alerts.yml, beside it) from deploy/prometheus.
    expect(mounts(prometheus)).toMatchObject({ '/etc/prometheus': './deploy/prometheus' });
    expect(prometheus?.command).toContain('--config.file=/etc/prometheus/prometheus.yml');
    expect(existsSync('deploy/prometheus/alerts.yml')).toBe(true);
    expect(mounts(grafana)).toMatchObject({
      '/etc/grafana/provisioning': './deploy/grafana/provisioning',
      '/etc/grafana/dashboards/hakdata.json': './deploy/grafana/hakdata.json',
    });
    // Every file mounted from the repository exists; nothing is published beyond loopback.
    for (const service of [prometheus, grafana]) {
      for (const source of Object.values(mounts(service)))
        if (source.startsWith('./')) expect(existsSync(source), source).toBe(true);
      for (const port of service?.ports ?? []) expect(port).toMatch(/^127\.0\.0\.1:/);
    }
    // Prometheus scrapes the app where it serves /metrics (the admin port).
    const scrape = parse(read('deploy/prometheus/prometheus.yml')) as {
      rule_files: string[];
      scrape_configs: { job_name: string; metrics_path: string; static_configs: { targets: string[] }[] }[];
    };
    expect(scrape.rule_files).toEqual(['alerts.yml']);
    expect(scrape.scrape_configs[0]).toMatchObject({
      job_name: 'hakdata',
      metrics_path: '/metrics',
      static_configs: [{ targets: [`app:${withDefaults(compose.services.app?.environment?.ADMIN_PORT)}`] }],
    });
  });

  it('has a Dockerfile with Debian Chromium, a non-root user and a health check', () => {
    const dockerfile = read('Dockerfile');
    expect(dockerfile).toMatch(/^FROM node:20-bookworm/m);
    expect(dockerfile).toMatch(/apt-get install .*chromium/);
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/^HEALTHCHECK /m);
  });

  it('checks health on the port the role serves it, the script copied into the image', () => {
    // ROLE=gateway or worker serve no admin port: an /healthz on ADMIN_PORT kept them unhealthy.
    const dockerfile = read('Dockerfile');
    expect(dockerfile).toMatch(
      /^HEALTHCHECK [^\n]*\\\n\s*CMD \["node", "deploy\/healthcheck\.mjs", "\/healthz"\]$/m,
    );
    expect(dockerfile).toMatch(/^COPY deploy\/healthcheck\.mjs \.\/deploy\/healthcheck\.mjs$/m);
    expect(compose.services.app?.healthcheck?.test).toEqual([
      'CMD',
      'node',
      'deploy/healthcheck.mjs',
      '/readyz',
    ]);
    const check = (env: Record<string, string>) =>
      spawnSync(process.execPath, ['deploy/healthcheck.mjs'], {
        env: { PATH: process.env.PATH ?? '', ...env },
        encoding: 'utf8',
      });
    // A worker without METRICS_PORT has nothing to ask: it fails, saying what to set.
    const unset = check({ ROLE: 'worker', ADMIN_PORT: '3000' });
    expect(unset.status).toBe(1);
    expect(unset.stderr).toContain('ROLE=worker serves /healthz on METRICS_PORT, which is not set');
    // Nothing listening on the role's port: unhealthy, naming where it asked.
    const refused = check({ ROLE: 'gateway', METRICS_PORT: '9', METRICS_HOST: '0.0.0.0' });
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain('http://127.0.0.1:9/healthz');
  });
});

describe('documented settings', () => {
  // The config module's settings and those the channels declare (merged by src/app/settings.ts).
  const names = [...Object.keys(envFields), ...Object.keys(channelSettingFields())];

  it('.env.example lists every setting and nothing else', () => {
    const listed = read('.env.example')
      .split('\n')
      .filter((line) => /^[A-Z_]+=/.test(line))
      .map((line) => line.split('=')[0]);
    expect(listed.sort()).toEqual([...names, ...Object.keys(composeOnlySettings)].sort());
  });

  it('every variable docker-compose.yml reads from .env is in .env.example', () => {
    // GRAFANA_ADMIN_PASSWORD was read by the compose file and listed nowhere an operator looks.
    const used = [...read('docker-compose.yml').matchAll(/\$\{([A-Z_]+)/g)].map((m) => m[1] ?? '');
    expect(used).toContain('GRAFANA_ADMIN_PASSWORD');
    const example = read('.env.example');
    for (const name of new Set(used)) {
      expect(names.includes(name) || name in composeOnlySettings, name).toBe(true);
      expect(example, name).toMatch(new RegExp(`^${name}=$`, 'm'));
    }
  });

  it('.env.example and the README table are what the generator prints today', () => {
    // Regenerate with `npx tsx src/cli.ts config example > .env.example` and `config table`.
    expect(read('.env.example')).toBe(appEnvExample());
    expect(read('README.md')).toContain(appSettingsTable());
  });

  it('the README documents every setting', () => {
    const readme = read('README.md');
    for (const name of names) expect(readme, name).toContain(`\`${name}\``);
  });
});
