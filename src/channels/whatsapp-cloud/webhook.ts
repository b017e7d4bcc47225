import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';

/**
 * What Meta POSTs to the callback URL (field `messages` of a `whatsapp_business_account`), read
 * as far as the channel needs: customers' messages and the statuses of ours. Anything else in a
 * payload is ignored, never refused, so Meta stops resending it.
 */

export const cloudMessageSchema = z.object({
  from: z.string().regex(/^\d{5,20}$/),
  id: z.string().min(1).max(512),
  timestamp: z.string().regex(/^\d+$/),
  type: z.string(),
  text: z.object({ body: z.string() }).optional(),
  interactive: z
    .object({
      type: z.string(),
      button_reply: z.object({ id: z.string(), title: z.string() }).optional(),
      list_reply: z.object({ id: z.string(), title: z.string() }).optional(),
    })
    .optional(),
  button: z.object({ payload: z.string().optional(), text: z.string() }).optional(),
  context: z.object({ id: z.string().optional() }).optional(),
  image: z.object({ caption: z.string().optional() }).optional(),
  document: z.object({ caption: z.string().optional() }).optional(),
  contacts: z
    .array(
      z.object({
        phones: z.array(z.object({ phone: z.string().optional(), wa_id: z.string().optional() })).optional(),
      }),
    )
    .optional(),
});
export type CloudMessage = z.infer<typeof cloudMessageSchema>;

export const cloudStatusSchema = z.object({
  id: z.string().min(1).max(512),
  status: z.enum(['sent', 'delivered', 'read', 'failed', 'deleted', 'warning']),
  timestamp: z.string().optional(),
  recipient_id: z.string().regex(/^\d{5,20}$/),
  errors: z
    .array(
      z.object({
        code: z.number(),
        title: z.string().optional(),
        message: z.string().optional(),
        error_data: z.object({ details: z.string().optional() }).optional(),
      }),
    )
    .optional(),
});
export type CloudStatus = z.infer<typeof cloudStatusSchema>;

const payloadSchema = z.object({
  object: z.string(),
  entry: z.array(
    z.object({
      changes: z.array(
        z.object({
          field: z.string(),
          value: z.object({
            metadata: z.object({ phone_number_id: z.string() }).optional(),
            messages: z.array(z.unknown()).optional(),
            statuses: z.array(z.unknown()).optional(),
          }),
        }),
      ),
    }),
  ),
});

/** One thing a webhook told: a customer's message, or a status of one of ours. */
export type CloudEvent = { kind: 'message'; message: CloudMessage } | { kind: 'status'; status: CloudStatus };

/**
 * The events of a payload for our number (another number of the same app is not ours), and how
 * many items were skipped as malformed (logged by the caller, without their content).
 */
export function eventsOf(body: unknown, phoneNumberId: string): { events: CloudEvent[]; skipped: number } {
  const parsed = payloadSchema.safeParse(body);
  if (!parsed.success || parsed.data.object !== 'whatsapp_business_account')
    return { events: [], skipped: 1 };
  const events: CloudEvent[] = [];
  let skipped = 0;
  for (const entry of parsed.data.entry)
    for (const change of entry.changes) {
      if (change.field !== 'messages') continue;
      const { value } = change;
      if (value.metadata && value.metadata.phone_number_id !== phoneNumberId) {
        skipped++;
        continue;
      }
      for (const raw of value.messages ?? []) {
        const m = cloudMessageSchema.safeParse(raw);
        if (m.success) events.push({ kind: 'message', message: m.data });
        else skipped++;
      }
      for (const raw of value.statuses ?? []) {
        const s = cloudStatusSchema.safeParse(raw);
        if (s.success) events.push({ kind: 'status', status: s.data });
        else skipped++;
      }
    }
  return { events, skipped };
}

/**
 * Meta signs every POST: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body under
 * the app secret>`. Compared in constant time over the exact bytes received (a re-serialized
 * body would differ).
 */
export function validSignature(rawBody: Buffer, header: unknown, appSecret: string): boolean {
  if (typeof header !== 'string' || !header.startsWith('sha256=')) return false;
  const given = Buffer.from(header.slice('sha256='.length), 'hex');
  const expected = createHmac('sha256', appSecret).update(rawBody).digest();
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** The subscription check: echo `hub.challenge` only for `subscribe` with our verify token. */
export function verificationAnswer(query: Record<string, unknown>, verifyToken: string): string | undefined {
  const token = query['hub.verify_token'];
  const challenge = query['hub.challenge'];
  if (query['hub.mode'] !== 'subscribe' || typeof token !== 'string' || typeof challenge !== 'string')
    return undefined;
  const a = Buffer.from(token);
  const b = Buffer.from(verifyToken);
  if (a.length !== b.length || !timingSafeEqual(a, b)) return undefined;
  return challenge;
}
