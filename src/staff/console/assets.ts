/**
 * The console's only stylesheet and script, served from /console/assets/ (no build step). The
 * script is a file, never inline, so the Content-Security-Policy can forbid inline scripts.
 */

export const consoleCss = `
:root { --accent:#0b6e55; --accent-soft:#e3f3ed; --bg:#f4f6f5; --fg:#1b1f1d; --muted:#5f6b66; --line:#d7dedb;
  --warn:#b3261e; --warn-soft:#fdecea; --ok-soft:#e6f4ea; }
* { box-sizing:border-box; }
body { margin:0; font:15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; background:var(--bg); color:var(--fg); }
a { color:var(--accent); }
header.top { background:var(--accent); color:#fff; display:flex; flex-wrap:wrap; gap:6px 16px; align-items:center; padding:8px 14px; }
header.top a { color:#fff; text-decoration:none; }
header.top .brand { font-weight:700; }
header.top nav { display:flex; flex-wrap:wrap; gap:4px 12px; flex:1; }
header.top nav a { padding:2px 6px; border-radius:4px; }
header.top nav a[aria-current] { background:#ffffff30; }
header.top .me { display:flex; flex-wrap:wrap; gap:6px 12px; align-items:center; font-size:14px; }
header.top .lang { border:1px solid #ffffff80; border-radius:12px; padding:1px 8px; }
button.link { background:none; border:0; color:#fff; text-decoration:underline; cursor:pointer; font:inherit; padding:0; }
form.inline { display:inline; margin:0; }
main { max-width:1180px; margin:0 auto; padding:14px; }
h1 { font-size:21px; margin:6px 0 12px; }
h2 { font-size:17px; margin:18px 0 8px; }
.card { background:#fff; border:1px solid var(--line); border-radius:8px; padding:12px 14px; margin-bottom:14px; }
.notice { padding:8px 12px; border-radius:6px; }
.notice.ok { background:var(--ok-soft); }
.notice.error { background:var(--warn-soft); color:var(--warn); }
table { width:100%; border-collapse:collapse; background:#fff; }
th, td { text-align:left; padding:7px 8px; border-bottom:1px solid var(--line); vertical-align:top; }
th { font-size:13px; color:var(--muted); font-weight:600; }
tr.overdue td { background:var(--warn-soft); }
.badge { display:inline-block; font-size:12px; border-radius:10px; padding:1px 8px; background:var(--accent-soft); color:var(--accent); white-space:nowrap; }
.badge.pending_approval, .badge.flag { background:#fff4d6; color:#7a5200; }
.badge.failed, .badge.rejected { background:var(--warn-soft); color:var(--warn); }
.badge.completed { background:var(--ok-soft); color:#1e6b34; }
.sla.late { color:var(--warn); font-weight:600; }
.muted { color:var(--muted); }
dl.fields { display:grid; grid-template-columns:max-content 1fr; gap:6px 14px; margin:0; }
dl.fields dt { color:var(--muted); }
dl.fields dd { margin:0; word-break:break-word; }
form.filters { display:flex; flex-wrap:wrap; gap:8px; align-items:flex-end; margin-bottom:12px; }
label { display:flex; flex-direction:column; gap:3px; font-size:13px; color:var(--muted); }
input, select, textarea { font:inherit; padding:7px 9px; border:1px solid #b9c4bf; border-radius:6px; background:#fff; color:var(--fg); min-height:38px; }
textarea { min-height:70px; width:100%; }
button, .button { font:inherit; border:0; border-radius:6px; padding:8px 14px; cursor:pointer; background:var(--accent); color:#fff; min-height:38px; }
button.secondary { background:#fff; color:var(--accent); border:1px solid var(--accent); }
button.danger { background:var(--warn); }
.actions { display:flex; flex-wrap:wrap; gap:12px; align-items:flex-start; }
.actions form { flex:1 1 260px; }
pre { white-space:pre-wrap; word-break:break-word; font-size:13px; margin:0; }
.login { max-width:380px; margin:8vh auto; }
.login form { display:flex; flex-direction:column; gap:10px; }
@media (max-width: 720px) {
  header.top { padding:8px 10px; }
  header.top nav { order:3; flex-basis:100%; font-size:14px; gap:2px 6px; }
  header.top .me { margin-left:auto; font-size:13px; }
  main { padding:8px; }
  table.responsive thead { display:none; }
  table.responsive, table.responsive tbody, table.responsive tr, table.responsive td { display:block; width:100%; }
  table.responsive tr { border:1px solid var(--line); border-radius:8px; margin-bottom:8px; background:#fff; }
  table.responsive td { border:0; padding:4px 10px; }
  table.responsive td::before { content:attr(data-label); display:block; font-size:12px; color:var(--muted); }
  dl.fields { grid-template-columns:1fr; }
  dl.fields dd { margin-bottom:6px; }
}
`;

/** Keeps SLA countdowns current and asks before irreversible actions. */
export const consoleJs = `
(function () {
  var lang = document.documentElement.lang === 'en' ? 'en' : 'id';
  var u = lang === 'en' ? { d: 'd', h: 'h', m: 'min' } : { d: 'hari', h: 'jam', m: 'menit' };
  function duration(ms) {
    var min = Math.floor(Math.abs(ms) / 60000), d = Math.floor(min / 1440), h = Math.floor((min % 1440) / 60), m = min % 60;
    if (d > 0) return d + ' ' + u.d + ' ' + h + ' ' + u.h;
    if (h > 0) return h + ' ' + u.h + ' ' + m + ' ' + u.m;
    return m + ' ' + u.m;
  }
  function tick() {
    var els = document.querySelectorAll('[data-due]');
    for (var i = 0; i < els.length; i++) {
      var left = new Date(els[i].getAttribute('data-due')).getTime() - Date.now();
      var d = duration(left);
      els[i].textContent = left >= 0 ? (lang === 'en' ? d + ' left' : 'sisa ' + d) : (lang === 'en' ? d + ' overdue' : 'lewat ' + d);
      els[i].classList.toggle('late', left < 0);
    }
  }
  document.addEventListener('DOMContentLoaded', function () {
    tick();
    setInterval(tick, 30000);
    document.addEventListener('submit', function (e) {
      var msg = e.target.getAttribute && e.target.getAttribute('data-confirm');
      if (msg && !window.confirm(msg)) e.preventDefault();
    });
  });
})();
`;
