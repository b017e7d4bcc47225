import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

/**
 * The alert rules (deploy/prometheus/alerts.yml) are checked by Prometheus' own tool: the
 * syntax (`promtool check rules`) and what fires when (`promtool test rules` on alerts.test.yml,
 * one scenario per alert, the silent channel first). Debian's `prometheus` package ships
 * promtool; `.ci/run` installs it. Without it the checks are skipped on a workstation, with a
 * notice, and fail in CI.
 */

const RULES = 'deploy/prometheus/alerts.yml';
const RULE_TESTS = 'deploy/prometheus/alerts.test.yml';
const promtool = spawnSync('promtool', ['--version'], { encoding: 'utf8' }).status === 0;
const inCi = process.env.CI === 'true';

if (!promtool && !inCi)
  process.stderr.write(
    'prometheus-rules: promtool not found (apt-get install prometheus): rule checks skipped\n',
  );

const run = (...args: string[]) => execFileSync('promtool', args, { encoding: 'utf8', stdio: 'pipe' });

describe('Prometheus alert rules', () => {
  it.runIf(inCi)('promtool is installed in CI', () => {
    expect(promtool, 'promtool is missing: .ci/run installs Debian package prometheus').toBe(true);
  });

  it.runIf(promtool)('pass promtool check rules', () => {
    expect(run('check', 'rules', RULES)).toMatch(/SUCCESS: \d+ rules found/);
  });

  it.runIf(promtool)("are loaded by the monitoring profile's Prometheus (promtool check config)", () => {
    expect(run('check', 'config', 'deploy/prometheus/prometheus.yml')).toMatch(/SUCCESS: \d+ rules found/);
  });

  it.runIf(promtool)(
    'pass promtool test rules (every alert fires in its scenario, none when healthy)',
    () => {
      expect(run('test', 'rules', RULE_TESTS)).toMatch(/SUCCESS/);
    },
  );

  it('have a scenario for every alert, and read only hakdata_ metrics (and up)', () => {
    const rules = parse(readFileSync(RULES, 'utf8')) as {
      groups: { rules: { alert: string; expr: string }[] }[];
    };
    const alerts = rules.groups.flatMap((g) => g.rules);
    expect(alerts.map((a) => a.alert)).toEqual(
      expect.arrayContaining([
        'HakdataSilentChannel',
        'HakdataRequestQueueStalled',
        'HakdataRequestsOverdue',
        'HakdataDeadLettersGrowing',
        'HakdataOtpDeliveryFailing',
        'HakdataChannelDown',
      ]),
    );
    const tests = readFileSync(RULE_TESTS, 'utf8');
    for (const { alert, expr } of alerts) {
      expect(tests, alert).toMatch(new RegExp(`alertname: ${alert}\\n\\s+exp_alerts:\\n\\s+- exp_labels`));
      for (const [name] of expr.matchAll(/\b[a-z_]+(?=\{|\[| offset|\))/g))
        if (name.includes('_total') || name.startsWith('hakdata'))
          expect(name, `${alert}: ${name}`).toMatch(/^hakdata_/);
    }
  });

  it("are each explained in the README's Running it table, and that table names no other", () => {
    const rules = parse(readFileSync(RULES, 'utf8')) as { groups: { rules: { alert: string }[] }[] };
    const alerts = rules.groups.flatMap((g) => g.rules.map((r) => r.alert)).sort();
    const readme = readFileSync('README.md', 'utf8');
    const section = readme.slice(
      readme.indexOf('\n## Running it'),
      readme.indexOf('\n## ', readme.indexOf('\n## Running it') + 1),
    );
    expect(section.length, 'README has a Running it section').toBeGreaterThan(100);
    const rows = [...section.matchAll(/^\| `(Hakdata\w+)` \([a-z]+\) \| (.+?) \| (.+?) \|$/gm)];
    expect(rows.map((r) => r[1]).sort()).toEqual(alerts);
    // Each says what it means and what to do.
    for (const [, alert, means, todo] of rows) {
      expect(means?.length, `${alert}: what it means`).toBeGreaterThan(20);
      expect(todo?.length, `${alert}: what to do`).toBeGreaterThan(20);
    }
  });
});
