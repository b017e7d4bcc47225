import { join } from 'node:path';
import type { Logger } from '../../logging/logger.js';
import type { WhatsAppClient, WhatsAppPlatform } from './client.js';
import { clearStaleProfileLock } from './session-lock.js';

export interface RealClientOptions {
  sessionDir: string;
  chromiumPath: string;
  logger: Logger;
}

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-dev-shm-usage',
  '--disable-extensions',
  '--no-first-run',
  '--no-default-browser-check',
];

/**
 * The only code that needs a real WhatsApp: whatsapp-web.js driving Debian's Chromium, the
 * linked session kept by LocalAuth in `sessionDir`. Loaded lazily, so processes that never
 * start WhatsApp do not load puppeteer.
 */
export async function loadRealPlatform(options: RealClientOptions): Promise<WhatsAppPlatform> {
  const { Client, LocalAuth, MessageMedia } = (await import('whatsapp-web.js')).default;
  return {
    createClient: (): WhatsAppClient => {
      const removed = clearStaleProfileLock(options.sessionDir);
      if (removed)
        options.logger.warn({ reason: removed }, 'whatsapp: removed a stale Chromium profile lock');
      return new Client({
        authStrategy: new LocalAuth({ dataPath: options.sessionDir }),
        webVersionCache: { type: 'local', path: join(options.sessionDir, 'web-cache') },
        puppeteer: { headless: true, executablePath: options.chromiumPath, args: CHROMIUM_ARGS },
      });
    },
    createMedia: (mimeType, base64, fileName) => new MessageMedia(mimeType, base64, fileName),
  };
}
