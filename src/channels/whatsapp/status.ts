import { z } from 'zod';
import type { AppContext } from '../../app/context.js';
import type { Logger } from '../../logging/logger.js';
import { errorText } from './errors.js';

/**
 * Connection state and the latest QR code, published to Redis so the admin page can show them
 * whichever process serves it (only the gateway holds the WhatsApp session).
 */

export type WhatsAppState =
  | 'starting'
  | 'waiting for QR scan'
  | 'connected'
  | 'reconnecting'
  | 'auth failure'
  | 'stopped';

export const statusSchema = z.object({
  state: z.enum(['starting', 'waiting for QR scan', 'connected', 'reconnecting', 'auth failure', 'stopped']),
  /** PNG data URL of the QR to scan; present only while waiting for a scan. */
  qrDataUrl: z.string().startsWith('data:image/png;base64,').optional(),
  /** Milliseconds since the epoch. */
  updatedAt: z.number(),
});

export type WhatsAppStatus = z.infer<typeof statusSchema>;

/** WhatsApp Web rotates its QR every ~20 s; an older one cannot be scanned. */
export const QR_MAX_AGE_MS = 60_000;

export const statusKey = (ctx: Pick<AppContext, 'key'>) => ctx.key('whatsapp', 'status');

export class StatusPublisher {
  private current: WhatsAppStatus = { state: 'starting', updatedAt: Date.now() };

  constructor(
    private readonly ctx: Pick<AppContext, 'redis' | 'key'>,
    private readonly logger: Logger,
  ) {}

  get status(): WhatsAppStatus {
    return this.current;
  }

  /** Records a state (dropping any QR unless one is given); Redis errors are logged, not thrown. */
  async publish(state: WhatsAppState, qrDataUrl?: string): Promise<void> {
    this.current = qrDataUrl ? { state, qrDataUrl, updatedAt: Date.now() } : { state, updatedAt: Date.now() };
    try {
      await this.ctx.redis.set(statusKey(this.ctx), JSON.stringify(this.current));
    } catch (err) {
      this.logger.warn({ err: { message: errorText(err) } }, 'whatsapp status not published');
    }
  }
}

/** What the admin page shows; a QR too old to scan is dropped. */
export async function readStatus(
  ctx: Pick<AppContext, 'redis' | 'key'>,
): Promise<WhatsAppStatus | undefined> {
  const raw = await ctx.redis.get(statusKey(ctx));
  if (!raw) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return undefined;
  }
  const parsed = statusSchema.safeParse(json);
  if (!parsed.success) return undefined;
  const status = parsed.data;
  if (status.qrDataUrl && Date.now() - status.updatedAt > QR_MAX_AGE_MS) {
    const { qrDataUrl: _stale, ...rest } = status;
    return rest;
  }
  return status;
}
