import type { FastifyRequest } from 'fastify';
import { type Lang, texts } from '../i18n.js';
import { hasRole } from '../roles.js';
import { html, type SafeHtml } from './html.js';

export type NavItem = 'queue' | 'customers' | 'deadLetters' | 'audit' | 'reports' | 'queues' | 'staff';

const NAV: { id: NavItem; href: string; admin: boolean }[] = [
  { id: 'queue', href: '/console/requests', admin: false },
  { id: 'customers', href: '/console/customers', admin: false },
  { id: 'deadLetters', href: '/console/deadletters', admin: false },
  { id: 'audit', href: '/console/audit', admin: true },
  { id: 'reports', href: '/console/reports', admin: true },
  { id: 'queues', href: '/console/queues/', admin: true },
  { id: 'staff', href: '/console/staff', admin: true },
];

/** The current page in the other language (the choice is then kept in a cookie). */
export function otherLangHref(request: FastifyRequest): string {
  const url = new URL(
    request.method === 'GET' ? request.url : (request.routeOptions.url ?? '/console'),
    'http://x',
  );
  url.searchParams.set('lang', request.lang === 'id' ? 'en' : 'id');
  return `${url.pathname}${url.search}`;
}

/** The hidden field every form carries (synchronizer token, checked on every POST). */
export function csrfField(request: FastifyRequest): SafeHtml {
  return html`<input type="hidden" name="_csrf" value="${request.consoleSession?.csrf ?? ''}">`;
}

export interface PageOptions {
  title: string;
  active?: NavItem;
  body: SafeHtml;
  /** A one-line message at the top (success or error). */
  notice?: { kind: 'ok' | 'error'; text: string } | undefined;
}

export function page(request: FastifyRequest, options: PageOptions): SafeHtml {
  const lang: Lang = request.lang;
  const t = texts[lang];
  const staff = request.staff;
  const nav = staff
    ? NAV.filter((n) => !n.admin || hasRole(staff, 'admin')).map(
        (n) =>
          html`<a href="${n.href}"${n.id === options.active ? html` aria-current="page"` : ''}>${t.nav[n.id]}</a>`,
      )
    : [];
  return html`<!doctype html>
<html lang="${t.htmlLang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${options.title} · ${t.title}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/console/assets/console.css">
<script src="/console/assets/console.js" defer></script>
</head>
<body>
<header class="top">
  <a class="brand" href="/console/requests">hakdata · ${t.title}</a>
  <nav>${nav}</nav>
  <div class="me">
    <a class="lang" href="${otherLangHref(request)}" hreflang="${lang === 'id' ? 'en' : 'id'}">${t.otherLang}</a>
    ${
      staff
        ? html`<span>${t.signedInAs} <strong>${staff.username}</strong> (${t.role[staff.role]})</span>
    <form method="post" action="/console/logout" class="inline">${csrfField(request)}<button type="submit" class="link">${t.logout}</button></form>`
        : ''
    }
  </div>
</header>
<main>
${options.notice ? html`<p class="notice ${options.notice.kind}" role="status">${options.notice.text}</p>` : ''}
${options.body}
</main>
</body>
</html>`;
}
