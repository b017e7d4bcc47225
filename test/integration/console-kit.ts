import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import type { AppContext } from '../../src/app/context.js';
import type { StaffRole } from '../../src/db/models/staff-account.js';
import { hashPassword } from '../../src/staff/console/passwords.js';

/** Helpers the console tests share: a cookie jar over fastify.inject, the form token, sign-in. */

export const HTML = { accept: 'text/html,application/xhtml+xml' };

export function form(fields: Record<string, string>): string {
  return new URLSearchParams(fields).toString();
}

export function setCookies(res: LightMyRequestResponse): Record<string, string> {
  const out: Record<string, string> = {};
  for (const c of res.cookies as { name: string; value: string }[]) out[c.name] = c.value;
  return out;
}

export function csrfOf(html: string): string {
  const m = /name="_csrf" value="([^"]+)"/.exec(html);
  if (!m?.[1]) throw new Error('no CSRF field on the page');
  return m[1];
}

export interface Browser {
  cookies: Record<string, string>;
  get(url: string, headers?: Record<string, string>): Promise<LightMyRequestResponse>;
  post(
    url: string,
    fields: Record<string, string>,
    headers?: Record<string, string>,
  ): Promise<LightMyRequestResponse>;
  /** The CSRF token of the page at `url`. */
  csrf(url?: string): Promise<string>;
}

/** A minimal browser: keeps cookies, sends Accept: text/html; `remoteAddress` is where it connects from. */
export function browser(app: FastifyInstance, remoteAddress?: string): Browser {
  const from = remoteAddress ? { remoteAddress } : {};
  const cookies: Record<string, string> = {};
  const cookieHeader = () =>
    Object.entries(cookies)
      .map(([k, v]) => `${k}=${v}`)
      .join('; ');
  const keep = (res: LightMyRequestResponse) => {
    for (const c of res.cookies as { name: string; value: string; maxAge?: number; expires?: Date }[]) {
      if (c.value === '' || (c.expires && c.expires.getTime() < Date.now())) delete cookies[c.name];
      else cookies[c.name] = c.value;
    }
    return res;
  };
  const b: Browser = {
    cookies,
    async get(url, headers = {}) {
      return keep(
        await app.inject({
          method: 'GET',
          url,
          headers: { ...HTML, cookie: cookieHeader(), ...headers },
          ...from,
        }),
      );
    },
    async post(url, fields, headers = {}) {
      return keep(
        await app.inject({
          method: 'POST',
          url,
          payload: form(fields),
          headers: {
            ...HTML,
            'content-type': 'application/x-www-form-urlencoded',
            cookie: cookieHeader(),
            ...headers,
          },
          ...from,
        }),
      );
    },
    async csrf(url = '/console/requests') {
      const res = await b.get(url);
      return csrfOf(res.body);
    },
  };
  return b;
}

export async function signIn(
  app: FastifyInstance,
  username: string,
  password: string,
  remoteAddress?: string,
  headers: Record<string, string> = {},
) {
  const b = browser(app, remoteAddress);
  const csrf = await b.csrf('/console/login');
  const res = await b.post(
    '/console/login',
    { username, password, _csrf: csrf, next: '/console/requests' },
    headers,
  );
  return { b, res };
}

/**
 * A fixture account. Its hash uses cheap scrypt parameters (they travel in the hash, so sign-in
 * runs the same code) because these tests sign in dozens of times; accounts made by the code
 * under test (CLI, staff page, demo) get the real cost.
 */
export async function addStaff(
  ctx: AppContext,
  username: string,
  role: StaffRole,
  password = `pw-${username}-0123456789`,
) {
  await ctx.models.StaffAccount.create({
    username,
    role,
    passwordHash: await hashPassword(password, { N: 1024, r: 8, p: 1 }),
    disabled: false,
    createdBy: 'test',
  });
  return password;
}
