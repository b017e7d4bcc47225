import { settingDefault } from '../config/index.js';
import { flowCatalog } from '../conversation/engine.js';
import { checkFlows } from '../conversation/flow-loader.js';
import { FLOWS_DIR } from '../conversation/runtime.js';
import { REQUEST_TYPES } from '../db/index.js';
import { LIFECYCLE_AUDIT_ACTIONS, REQUEST_TYPE_REGISTRY } from '../requests/index.js';
import { REQUEST_HANDLERS } from '../workers/request-worker.js';

/**
 * The law mapped to the code, as a Markdown table: one row per request type, generated from the
 * request-type registry (src/requests/registry.ts), the flows (their files and keywords), the
 * request worker's handlers (the worker's name) and the config schema (the deadline's default).
 * `hakdata compliance` prints it; the README's compliance section is this output.
 */
export function complianceTable(flowsDir = FLOWS_DIR): string {
  const { loaded, problems } = checkFlows(flowsDir, flowCatalog());
  if (problems.length > 0)
    throw new Error(`flows are invalid; run flows check (${problems.length} problem(s))`);
  const code = (s: string) => `\`${s}\``;
  const rows = REQUEST_TYPES.map((type) => {
    const spec = REQUEST_TYPE_REGISTRY[type];
    const flows = spec.flows.map((id) => {
      const flow = loaded.flows.get(id);
      if (!flow) throw new Error(`registry: flow "${id}" of ${type} does not exist`);
      const words = [flow.keywords?.id[0], flow.keywords?.en[0]].filter((w): w is string => Boolean(w));
      return `${code(`flows/${id}.yaml`)}${words.length ? ` (${words.map(code).join(' / ')})` : ''}`;
    });
    if (spec.keywordsSetting) {
      const all = settingDefault(spec.keywordsSetting).split(',');
      const more = all.length > 2 ? '…' : '';
      flows.push(`${all.slice(0, 2).map(code).join(', ')}${more} (${code(spec.keywordsSetting)})`);
    }
    const worker = REQUEST_HANDLERS[type].name;
    const audit = [...LIFECYCLE_AUDIT_ACTIONS, ...spec.auditActions].map(code).join(', ');
    const deadline = `${code(spec.deadlineSetting)} = ${settingDefault(spec.deadlineSetting)} h`;
    return [
      `art. ${spec.article}`,
      spec.right.en,
      flows.join('<br>'),
      `${code(type)} · ${code(worker)} (${code(spec.worker)})`,
      audit,
      deadline,
      spec.tests.map(code).join('<br>'),
    ];
  });
  const header = [
    'UU PDP',
    'Right',
    'Flow (keywords)',
    'Request type · worker',
    'Audit events',
    'Deadline',
    'Tests',
  ];
  return [
    `| ${header.join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
}
