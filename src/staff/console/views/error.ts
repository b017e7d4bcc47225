import type { FastifyRequest } from 'fastify';
import { texts } from '../i18n.js';
import { html, type SafeHtml } from './html.js';
import { page } from './layout.js';

export type ErrorKind = 'forbidden' | 'csrf' | 'notFound' | 'invalid';

export function errorPage(request: FastifyRequest, kind: ErrorKind): SafeHtml {
  const t = texts[request.lang ?? 'id'];
  return page(request, {
    title: t.errors[kind],
    body: html`<section class="card"><h1>${t.errors[kind]}</h1><p><a href="/console/requests">${t.errors.back}</a></p></section>`,
  });
}
