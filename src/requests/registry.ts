import type { EnvName } from '../config/index.js';
import type { RequestType } from '../db/index.js';

/**
 * Every request type and the part of the law it serves (UU PDP, Law 27 of 2022): the article,
 * the flows that take it, the worker that applies it, the audit events it leaves, the setting of
 * its deadline, and the tests that prove it. `hakdata compliance` prints this as a table (the
 * README's compliance section is that output); test/unit/compliance.test.ts checks every entry
 * against the code: the flows exist, the worker is the one the request worker runs, each audit
 * action is written somewhere in src/, the setting is in the config schema, the tests exist and
 * name the type.
 */
export interface RequestTypeSpec {
  /** UU PDP article(s), e.g. `7, 13`. */
  article: string;
  right: { id: string; en: string };
  /** Flow ids (flows/<id>.yaml) a customer starts it from. */
  flows: readonly string[];
  /** Setting whose words start it from any step, where a flow has no keywords of its own. */
  keywordsSetting?: EnvName;
  /** The file that exports the worker (the handler REQUEST_HANDLERS runs for the type; its name is read from there). */
  worker: string;
  /** Audit actions the request leaves, beyond the lifecycle's (request.created, request.status). */
  auditActions: readonly string[];
  deadlineSetting: EnvName;
  tests: readonly string[];
}

/** Every request's own trail: its creation and each change of status (src/requests/states.ts). */
export const LIFECYCLE_AUDIT_ACTIONS = ['request.created', 'request.status'] as const;

export const REQUEST_TYPE_REGISTRY: Record<RequestType, RequestTypeSpec> = {
  access: {
    article: '7, 13',
    right: { id: 'mengakses dan memperoleh salinan data', en: 'access and a copy (portable JSON)' },
    flows: ['access'],
    worker: 'src/workers/access-worker.ts',
    auditActions: ['access.prepared'],
    deadlineSetting: 'SLA_ACCESS_HOURS',
    tests: [
      'test/integration/access-package.test.ts',
      'test/integration/workers-effects.test.ts',
      'test/conversations/rights.yaml',
    ],
  },
  update: {
    article: '6',
    right: { id: 'memperbarui dan memperbaiki data', en: 'correction' },
    flows: ['update'],
    worker: 'src/workers/update.ts',
    auditActions: ['customer.updated'],
    deadlineSetting: 'SLA_UPDATE_HOURS',
    tests: ['test/integration/workers-effects.test.ts', 'test/conversations/rights.yaml'],
  },
  erase: {
    article: '8',
    right: { id: 'mengakhiri pemrosesan dan menghapus data', en: 'erasure' },
    flows: ['delete'],
    worker: 'src/workers/erase.ts',
    auditActions: ['customer.erased'],
    deadlineSetting: 'SLA_ERASE_HOURS',
    tests: [
      'test/integration/workers-effects.test.ts',
      'test/integration/erasure-sweep.test.ts',
      'test/conversations/rights.yaml',
    ],
  },
  unsubscribe: {
    article: '9',
    right: { id: 'menarik persetujuan (promosi)', en: 'withdrawal of consent (marketing)' },
    flows: ['unsubscribe'],
    keywordsSetting: 'OPT_OUT_WORDS',
    worker: 'src/workers/consent.ts',
    auditActions: ['consent.changed'],
    deadlineSetting: 'SLA_UNSUBSCRIBE_HOURS',
    tests: [
      'test/integration/workers-effects.test.ts',
      'test/integration/promo-rules.test.ts',
      'test/conversations/keywords.yaml',
      // Withdrawal in the customer's own words, and in reply to a promotion (issue 18).
      'test/conversations/sentences.yaml',
      'test/integration/intents-promo-reply.test.ts',
    ],
  },
  subscribe: {
    article: '20 (2) a',
    right: { id: 'memberi persetujuan (promosi)', en: 'giving consent (marketing)' },
    flows: ['subscribe'],
    keywordsSetting: 'OPT_IN_WORDS',
    worker: 'src/workers/consent.ts',
    auditActions: ['consent.changed'],
    // Same deadline as its opposite (src/requests/service.ts, slaHoursFor).
    deadlineSetting: 'SLA_UNSUBSCRIBE_HOURS',
    tests: ['test/integration/workers-effects.test.ts', 'test/conversations/keywords.yaml'],
  },
  restrict: {
    article: '11',
    right: { id: 'menunda atau membatasi pemrosesan', en: 'restriction of processing' },
    flows: ['restrict', 'resume'],
    worker: 'src/workers/restrict.ts',
    auditActions: ['restriction.applied', 'restriction.lifted', 'console.restriction.lift'],
    deadlineSetting: 'SLA_RESTRICT_HOURS',
    tests: [
      'test/integration/restriction.test.ts',
      'test/integration/console-restriction.test.ts',
      'test/conversations/restrict.yaml',
    ],
  },
};
