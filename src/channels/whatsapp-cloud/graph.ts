import { z } from 'zod';
import { ChannelSendError } from '../types.js';
import { graphError } from './errors.js';

/**
 * The two Graph API calls the channel makes: `POST /<phone number id>/messages` and
 * `POST /<phone number id>/media`. Errors become ChannelSendError by Meta's error code.
 */

const errorSchema = z.object({
  error: z.object({
    message: z.string().catch('Graph API error'),
    code: z.number().optional(),
    error_data: z.object({ details: z.string().optional() }).optional().catch(undefined),
  }),
});
const sentSchema = z.object({ messages: z.array(z.object({ id: z.string().min(1) })).min(1) });
const uploadedSchema = z.object({ id: z.string().min(1) });

/** The Cloud API refuses a request after this long; a send is then retried as UNAVAILABLE. */
const TIMEOUT_MS = 15_000;

export interface GraphClient {
  /** Sends one message body; resolves with its `wamid…` id. */
  sendMessage(body: Record<string, unknown>): Promise<string>;
  /** Uploads a file; resolves with the media id a document message names. */
  uploadMedia(file: { bytes: Buffer; mimeType: string; fileName: string }): Promise<string>;
}

export function createGraphClient(options: {
  apiRoot: string;
  phoneNumberId: string;
  accessToken: string;
}): GraphClient {
  const base = `${options.apiRoot}/${options.phoneNumberId}`;
  const authorization = `Bearer ${options.accessToken}`;

  const call = async (path: string, init: { body: string | FormData; json?: boolean }): Promise<unknown> => {
    let res: Response;
    try {
      res = await fetch(`${base}${path}`, {
        method: 'POST',
        headers: {
          authorization,
          ...(init.json ? { 'content-type': 'application/json' } : {}),
        },
        body: init.body,
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
    } catch (err) {
      // Never the request: it holds the customer's number and text.
      throw new ChannelSendError('UNAVAILABLE', `Graph API unreachable: ${(err as Error).name}`);
    }
    const text = await res.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    if (!res.ok) {
      const parsed = errorSchema.safeParse(body);
      const e = parsed.success ? parsed.data.error : undefined;
      const detail = e?.error_data?.details
        ? `${e.message}: ${e.error_data.details}`
        : (e?.message ?? `HTTP ${res.status}`);
      throw graphError(e?.code, res.status, detail);
    }
    return body;
  };

  return {
    async sendMessage(message) {
      const body = await call('/messages', {
        json: true,
        body: JSON.stringify({ messaging_product: 'whatsapp', recipient_type: 'individual', ...message }),
      });
      const parsed = sentSchema.safeParse(body);
      if (!parsed.success)
        throw new ChannelSendError('UNAVAILABLE', 'Graph API answered a send without a message id');
      return parsed.data.messages[0]?.id ?? '';
    },
    async uploadMedia(file) {
      // Documented as multipart/form-data: messaging_product, type, file.
      const form = new FormData();
      form.set('messaging_product', 'whatsapp');
      form.set('type', file.mimeType);
      form.set('file', new Blob([file.bytes], { type: file.mimeType }), file.fileName);
      const parsed = uploadedSchema.safeParse(await call('/media', { body: form }));
      if (!parsed.success)
        throw new ChannelSendError('UNAVAILABLE', 'Graph API answered an upload without a media id');
      return parsed.data.id;
    },
  };
}
