import type { FastifyRequest } from 'fastify';
import type { StaffListEntry } from '../../accounts.js';
import { formatDateTime, texts } from '../i18n.js';
import type { AccountLockView } from '../lockout.js';
import { html, type SafeHtml } from './html.js';
import { csrfField, page } from './layout.js';

/**
 * "Locked" only when the account itself is (the account-wide backoff); addresses locked out by
 * their own failures are said apart, since the owner still signs in from anywhere else.
 */
function lockNote(request: FastifyRequest, lock: AccountLockView): SafeHtml | '' {
  const s = texts[request.lang].staff;
  const minutes = (seconds: number) => Math.ceil(seconds / 60);
  if (lock.accountSeconds > 0)
    return html` · <span class="sla late">${s.locked(minutes(lock.accountSeconds))}</span>`;
  if (lock.lockedAddresses > 0)
    return html` · <span class="muted">${s.addressesLocked(lock.lockedAddresses, minutes(lock.addressSeconds))}</span>`;
  return '';
}

export function staffPage(
  request: FastifyRequest,
  view: { staff: StaffListEntry[]; notice?: { kind: 'ok' | 'error'; text: string } | undefined },
): SafeHtml {
  const t = texts[request.lang];
  const s = t.staff;
  const action = (username: string, fields: SafeHtml, label: string, cls = 'secondary') =>
    html`<form method="post" action="/console/staff/${username}/change" class="inline">${csrfField(request)}${fields}<button type="submit" class="${cls}">${label}</button></form>`;
  const hidden = (name: string, value: string) => html`<input type="hidden" name="${name}" value="${value}">`;
  return page(request, {
    title: s.heading,
    active: 'staff',
    notice: view.notice,
    body: html`<h1>${s.heading}</h1>
<table class="responsive" id="staff">
<thead><tr><th>${s.username}</th><th>${s.role}</th><th>${s.state}</th><th>${s.lastLogin}</th><th>${s.telegram}</th><th></th></tr></thead>
<tbody>${view.staff.map(
      (a) => html`<tr>
  <td data-label="${s.username}"><strong>${a.username}</strong></td>
  <td data-label="${s.role}">${t.role[a.role]}</td>
  <td data-label="${s.state}">${a.disabled ? s.disabled : s.active}${lockNote(request, a.lock)}</td>
  <td data-label="${s.lastLogin}">${a.lastLoginAt ? formatDateTime(a.lastLoginAt, request.lang) : s.never}</td>
  <td data-label="${s.telegram}"><form method="post" action="/console/staff/${a.username}/change" class="filters">${csrfField(request)}${hidden('action', 'telegram')}<input name="telegramUserId" value="${a.telegramUserId ?? ''}" inputmode="numeric" pattern="[0-9]*" maxlength="20" aria-label="${s.telegram}"><button type="submit" class="secondary">${s.link}</button></form></td>
  <td class="actions">
    ${a.disabled ? action(a.username, hidden('action', 'enable'), s.enable) : action(a.username, hidden('action', 'disable'), s.disable, 'danger')}
    ${a.role === 'agent' ? action(a.username, hidden('action', 'make-admin'), s.makeAdmin) : action(a.username, hidden('action', 'make-agent'), s.makeAgent)}
    ${a.lock.accountSeconds > 0 || a.lock.lockedAddresses > 0 ? action(a.username, hidden('action', 'unlock'), s.unlock) : ''}
  </td>
</tr>`,
    )}</tbody>
</table>
<section class="card">
<h2>${s.add}</h2>
<form method="post" action="/console/staff" class="filters">
  ${csrfField(request)}
  <label>${s.username}<input name="username" required maxlength="32" autocomplete="off" autocapitalize="none"></label>
  <label>${s.role}<select name="role"><option value="agent">${t.role.agent}</option><option value="admin">${t.role.admin}</option></select></label>
  <label>${s.password}<input name="password" type="password" required minlength="12" maxlength="256" autocomplete="new-password"></label>
  <button type="submit">${s.create}</button>
</form>
</section>`,
  });
}
