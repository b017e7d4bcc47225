import { afterAll, describe, expect, it } from 'vitest';
import { transition } from '../../src/requests/states.js';
import { dueReminders, runSlaCheck, startSlaSchedule } from '../../src/workers/sla.js';
import {
  type RecordingStaff,
  recordingStaff,
  seedCustomer,
  workerTestKit,
} from '../fixtures/requests-kit.js';

const T0 = new Date('2025-05-05T01:00:00Z');
const H = 3600_000;
const at = (hours: number) => new Date(T0.getTime() + hours * H);
let clock = T0;

const { ctx, service, close } = await workerTestKit({
  env: { MAX_REQUESTS_PER_DAY: '100' },
  now: () => clock,
});
afterAll(close);

async function ask(type: 'access' | 'unsubscribe', when: Date) {
  clock = when;
  const c = await seedCustomer(ctx);
  return (
    await service.create({
      type,
      customerId: String(c._id),
      channel: 'telegram',
      chatId: 's-1',
      locale: 'id',
    })
  ).ref;
}

const check = (staff: RecordingStaff, hours: number) => runSlaCheck(ctx, { staff, now: () => at(hours) });

describe('SLA reminders (fake clock)', () => {
  it('reminds staff 48 h and 24 h before dueAt and once when overdue, each once', async () => {
    await ctx.models.PrivacyRequest.deleteMany({});
    const staff = recordingStaff();
    const ref = await ask('access', T0); // due at T0 + 72 h
    expect(await check(staff, 23.9)).toEqual([]);
    expect(await check(staff, 24)).toEqual([{ ref, which: '48h' }]);
    expect(await check(staff, 30)).toEqual([]);
    expect(await check(staff, 47.9)).toEqual([]);
    expect(await check(staff, 48)).toEqual([{ ref, which: '24h' }]);
    expect(await check(staff, 71.99)).toEqual([]);
    expect(await check(staff, 72)).toEqual([{ ref, which: 'overdue' }]);
    expect(await check(staff, 200)).toEqual([]);
    expect(staff.reminders).toEqual([
      { ref, which: '48h' },
      { ref, which: '24h' },
      { ref, which: 'overdue' },
    ]);
    const doc = await ctx.models.PrivacyRequest.findOne({ ref }).lean();
    expect(doc?.reminders).toEqual(['48h', '24h', 'overdue']);
    const audit = await ctx.models.AuditEvent.find({ requestRef: ref, actor: 'system:sla' })
      .sort({ at: 1 })
      .lean();
    expect(audit.map((a) => [a.action, (a.details as { which: string }).which, a.at.toISOString()])).toEqual([
      ['request.sla_reminder', '48h', at(24).toISOString()],
      ['request.sla_reminder', '24h', at(48).toISOString()],
      ['request.overdue', 'overdue', at(72).toISOString()],
    ]);
  });

  it('gives a 24-hour request only the overdue reminder, and none once it is finished', async () => {
    await ctx.models.PrivacyRequest.deleteMany({});
    const staff = recordingStaff();
    const unsub = await ask('unsubscribe', T0); // due at T0 + 24 h
    const done = await ask('access', T0);
    await transition(ctx, { ref: done, from: 'queued', to: 'processing', actor: 'test' });
    await transition(ctx, { ref: done, from: 'processing', to: 'completed', actor: 'test' });
    expect(await check(staff, 1)).toEqual([]);
    expect(await check(staff, 23)).toEqual([]);
    expect(await check(staff, 24)).toEqual([{ ref: unsub, which: 'overdue' }]);
    expect(await check(staff, 100)).toEqual([]);
    expect(staff.reminders).toEqual([{ ref: unsub, which: 'overdue' }]);
  });

  it('after downtime sends only the most urgent reminder and marks the skipped ones', async () => {
    await ctx.models.PrivacyRequest.deleteMany({});
    const staff = recordingStaff();
    const ref = await ask('access', T0);
    expect(await check(staff, 50)).toEqual([{ ref, which: '24h' }]);
    expect((await ctx.models.PrivacyRequest.findOne({ ref }).lean())?.reminders.sort()).toEqual([
      '24h',
      '48h',
    ]);
    expect(await check(staff, 60)).toEqual([]);
    expect(dueReminders({ createdAt: T0, dueAt: at(72), reminders: [] }, at(80))).toEqual({
      send: 'overdue',
      mark: ['48h', '24h', 'overdue'],
    });
  });

  it('two checks at once remind once', async () => {
    await ctx.models.PrivacyRequest.deleteMany({});
    const staff = recordingStaff();
    const ref = await ask('access', T0);
    const [a, b] = await Promise.all([check(staff, 72), check(staff, 72)]);
    expect([...(a ?? []), ...(b ?? [])]).toEqual([{ ref, which: 'overdue' }]);
    expect(staff.reminders).toHaveLength(1);
  });

  it('a staff notifier that fails leaves the reminder to be sent next time', async () => {
    await ctx.models.PrivacyRequest.deleteMany({});
    const ref = await ask('access', T0);
    const broken = {
      ...recordingStaff(),
      slaReminder: async () => Promise.reject(new Error('telegram down')),
    };
    await expect(runSlaCheck(ctx, { staff: broken, now: () => at(24) })).rejects.toThrow('telegram down');
    expect((await ctx.models.PrivacyRequest.findOne({ ref }).lean())?.reminders).toEqual([]);
    const staff = recordingStaff();
    expect(await check(staff, 25)).toEqual([{ ref, which: '48h' }]);
  });

  it('runs as a repeatable BullMQ job', async () => {
    await ctx.models.PrivacyRequest.deleteMany({});
    const ref = await ask('access', new Date(Date.now() - 100 * H)); // overdue on the real clock
    const staff = recordingStaff();
    const schedule = startSlaSchedule(ctx, { staff }, { everyMs: 200 });
    await schedule.ensure();
    try {
      const deadline = Date.now() + 10_000;
      while (staff.reminders.length === 0 && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 50));
    } finally {
      await schedule.close();
    }
    expect(staff.reminders).toEqual([{ ref, which: 'overdue' }]);
  });
});
