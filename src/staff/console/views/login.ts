import type { FastifyRequest } from 'fastify';
import { texts } from '../i18n.js';
import { html, type SafeHtml } from './html.js';
import { csrfField, page } from './layout.js';

export function loginPage(
  request: FastifyRequest,
  options: { next: string; username?: string; error?: string; info?: string },
): SafeHtml {
  const t = texts[request.lang].login;
  return page(request, {
    title: t.heading,
    notice: options.error
      ? { kind: 'error', text: options.error }
      : options.info
        ? { kind: 'ok', text: options.info }
        : undefined,
    body: html`<section class="card login">
<h1>${t.heading}</h1>
<form method="post" action="/console/login">
  ${csrfField(request)}
  <input type="hidden" name="next" value="${options.next}">
  <label>${t.username}<input name="username" autocomplete="username" autocapitalize="none" required maxlength="64" value="${options.username ?? ''}"></label>
  <label>${t.password}<input name="password" type="password" autocomplete="current-password" required maxlength="256"></label>
  <button type="submit">${t.submit}</button>
</form>
</section>`,
  });
}
