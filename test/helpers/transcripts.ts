import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';

/**
 * Table-driven conversations: `test/conversations/*.yaml`, each a list of transcripts. A step
 * plays the customer (send, press, contact, replay) or the world (advance the clock, expire the
 * session), then checks the bot's replies by pattern, and optionally the database.
 */
const stepSchema = z.strictObject({
  send: z.string().optional(),
  /** Press button n (1-based) of the latest reply that had buttons. */
  press: z.number().int().positive().optional(),
  /** Press a button from an older reply: n-th buttons message from the end (2 = the one before). */
  pressFrom: z.number().int().positive().optional(),
  /** Share a contact card; `ownerIsSender: false` plays a forwarded card of someone else. */
  contact: z.strictObject({ phone: z.string(), ownerIsSender: z.boolean().default(true) }).optional(),
  /** Deliver the previous message again with the same platform message id. */
  replay: z.boolean().optional(),
  /** Move the clock (OTP expiry, cooldowns) by this many seconds. */
  advance: z.number().optional(),
  /** Drop the Redis session as its TTL would. */
  expireSession: z.boolean().optional(),
  /** Patterns (case-insensitive regular expressions); each must match one of the replies. */
  expect: z.array(z.string()).optional(),
  /** Patterns none of the replies may match. */
  reject: z.array(z.string()).optional(),
  /** Exact number of replies. */
  replies: z.number().int().min(0).optional(),
  /** Buttons expected on the last reply with buttons, by label pattern. */
  buttons: z.array(z.string()).optional(),
  /** Database checks after this step. */
  db: z
    .strictObject({
      requests: z.array(z.strictObject({ type: z.string(), status: z.string() })).optional(),
      requestCount: z.number().int().optional(),
      marketing: z.boolean().optional(),
      linked: z.boolean().optional(),
      /** The latest request's `changes` hold at least these values (e.g. a restriction's scope). */
      changes: z.record(z.string(), z.string()).optional(),
    })
    .optional(),
});

export const transcriptSchema = z.strictObject({
  name: z.string(),
  channel: z.string().default('webchat'),
  /** The customer whose phone the transcript uses, for the db checks. */
  customer: z.string().optional(),
  /** WhatsApp-style proof of the sender's number. */
  senderPhone: z.string().optional(),
  language: z.string().optional(),
  /** The customer's processing is restricted with this scope before the transcript (and not after). */
  restricted: z.enum(['marketing', 'all']).optional(),
  steps: z.array(stepSchema).min(1),
});
export type Transcript = z.infer<typeof transcriptSchema>;
export type TranscriptStep = z.infer<typeof stepSchema>;

export function loadTranscripts(dir: string): { file: string; transcript: Transcript }[] {
  const all: { file: string; transcript: Transcript }[] = [];
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()) {
    const list = z.array(transcriptSchema).parse(parse(readFileSync(join(dir, file), 'utf8')));
    for (const transcript of list) all.push({ file, transcript });
  }
  return all;
}
