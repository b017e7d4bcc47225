import { type Browser, chromium } from 'playwright-core';

/**
 * Debian's Chromium, headless, with the flags this machine's closed network needs (without the
 * background-networking ones Chromium keeps trying to reach Google and is refused).
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
