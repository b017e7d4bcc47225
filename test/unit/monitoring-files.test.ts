import { readFileSync } from 'node:fs';
import { collectDefaultMetrics } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createMetrics } from '../../src/metrics/metrics.js';

/**
 * The alert rules, their tests and the Grafana dashboard name metrics by hand: each name must be
 * one the code exports (a typo would be an alert that never fires, a panel that stays empty).
 */

const read = (file: string) => readFileSync(file, 'utf8');

async function exportedNames(): Promise<Set<string>> {
  const metrics = createMetrics();
  collectDefaultMetrics({ register: metrics.registry, prefix: 'hakdata_' });
  const names = new Set<string>();
  for (const m of await metrics.registry.getMetricsAsJSON()) {
    names.add(m.name);
    // MetricType is a type-only enum in prom-client's declarations: compare its value.
    if ((m.type as unknown) === 'histogram')
      for (const suffix of ['_bucket', '_count', '_sum']) names.add(m.name + suffix);
  }
  return names;
}

const named = (text: string) => [...new Set(text.match(/\bhakdata_[a-z0-9_]+/g) ?? [])];

interface Panel {
  type: string;
  title: string;
  id: number;
  datasource?: { uid: string };
  targets?: { expr: string }[];
}

describe('monitoring files', () => {
  it('alerts, their tests and the dashboard name only metrics the code exports', async () => {
    const names = await exportedNames();
    for (const file of [
      'deploy/prometheus/alerts.yml',
      'deploy/prometheus/alerts.test.yml',
      'deploy/grafana/hakdata.json',
    ]) {
      const used = named(read(file));
      expect(used.length, file).toBeGreaterThan(5);
      for (const name of used) expect(names.has(name), `${file}: ${name}`).toBe(true);
    }
  });

  it('the dashboard shows replies, latency, queues, requests and deadlines, the OTP funnel and channels', () => {
    const dashboard = JSON.parse(read('deploy/grafana/hakdata.json')) as { uid: string; panels: Panel[] };
    const datasource = read('deploy/grafana/provisioning/datasources/prometheus.yml');
    const panels = dashboard.panels.filter((p) => p.type !== 'row');
    expect(new Set(dashboard.panels.map((p) => p.id)).size).toBe(dashboard.panels.length);
    for (const p of panels) {
      expect(datasource, p.title).toContain(`uid: ${p.datasource?.uid}`);
      expect(p.targets?.length, p.title).toBeGreaterThan(0);
    }
    const exprs = panels.flatMap((p) => p.targets?.map((t) => t.expr) ?? []).join('\n');
    for (const metric of [
      'hakdata_inbound_messages_total',
      'hakdata_reply_latency_seconds_bucket',
      'hakdata_outbound_sent_total',
      'hakdata_outbound_dead_letters_total',
      'hakdata_outbound_duplicates_skipped_total',
      'hakdata_queue_jobs',
      'hakdata_requests_created_total',
      'hakdata_requests_finished_total',
      'hakdata_requests_overdue',
      'hakdata_request_completion_seconds_bucket',
      'hakdata_otp_issued_total',
      'hakdata_otp_verified_total',
      'hakdata_otp_refused_total',
      'hakdata_otp_deliveries_total',
      'hakdata_channel_up',
      'hakdata_channel_state',
    ])
      expect(exprs, metric).toContain(metric);
  });
});
