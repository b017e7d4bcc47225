const escapeHtml = (s: string) =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );

/** One self-contained page (no build step): chat on the left, demo customers and OTP outbox on the right. */
export function webchatPage(businessName: string): string {
  const business = escapeHtml(businessName);
  return `<!doctype html>
<html lang="id">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${business} · web chat (development)</title>
<style>
  :root { --bg:#eef2f0; --bot:#fff; --me:#d9fdd3; --accent:#0b7a5b; --muted:#667; }
  * { box-sizing: border-box; }
  body { margin:0; font:15px/1.45 system-ui, sans-serif; background:var(--bg); color:#1b1f1d; }
  header { background:var(--accent); color:#fff; padding:10px 16px; display:flex; gap:12px; align-items:center; }
  header h1 { font-size:17px; margin:0; flex:1; }
  header button { background:#fff2; color:#fff; border:1px solid #fff6; border-radius:6px; padding:4px 10px; cursor:pointer; }
  main { display:grid; grid-template-columns: minmax(0,1fr) 300px; gap:12px; padding:12px; max-width:1100px; margin:auto; }
  @media (max-width: 760px) { main { grid-template-columns: 1fr; } }
  #chat { background:#fff; border-radius:10px; display:flex; flex-direction:column; height:calc(100vh - 90px); min-height:420px; }
  #log { flex:1; overflow-y:auto; padding:12px; background:#e5ddd5; border-radius:10px 10px 0 0; }
  .msg { max-width:80%; margin:6px 0; padding:8px 10px; border-radius:8px; white-space:pre-wrap; word-wrap:break-word; box-shadow:0 1px 1px #0002; }
  .bot { background:var(--bot); }
  .me { background:var(--me); margin-left:auto; }
  .buttons { display:flex; flex-wrap:wrap; gap:6px; margin-top:8px; }
  .buttons button { border:1px solid var(--accent); color:var(--accent); background:#fff; border-radius:16px; padding:4px 12px; cursor:pointer; }
  .buttons button:hover { background:#e8f5f0; }
  .doc a { color:var(--accent); font-weight:600; }
  form { display:flex; gap:8px; padding:10px; border-top:1px solid #ddd; }
  form input { flex:1; padding:10px; border:1px solid #ccc; border-radius:20px; font:inherit; }
  form button { background:var(--accent); color:#fff; border:0; border-radius:20px; padding:0 18px; font:inherit; cursor:pointer; }
  aside { display:flex; flex-direction:column; height:calc(100vh - 90px); min-height:420px; }
  aside section { background:#fff; border-radius:10px; padding:10px 12px; margin-bottom:12px; }
  aside section:last-child { flex:1; min-height:0; display:flex; flex-direction:column; margin-bottom:0; }
  #customers { overflow-y:auto; flex:1; }
  @media (max-width: 760px) { aside { height:auto; } }
  .ext { display:inline-block; font:600 11px ui-monospace, monospace; color:#fff; background:var(--accent); border-radius:4px; padding:1px 5px; margin-right:6px; vertical-align:1px; }
  aside h2 { font-size:14px; margin:0 0 8px; color:var(--accent); }
  .customer { display:block; width:100%; text-align:left; border:1px solid #ddd; background:#fafafa; border-radius:6px; padding:6px 8px; margin:4px 0; cursor:pointer; font:inherit; font-size:13px; }
  .customer.active { border-color:var(--accent); background:#e8f5f0; }
  .small { font-size:12px; color:var(--muted); }
  .code { font:600 18px ui-monospace, monospace; letter-spacing:2px; }
</style>
</head>
<body>
<header>
  <h1>${business} · hakdata web chat <span class="small" style="color:#dfe">(development)</span></h1>
  <button id="lang" type="button" title="Language hint for a new chat">ID</button>
  <button id="new" type="button">Chat baru</button>
</header>
<main>
  <div id="chat">
    <div id="log" aria-live="polite"></div>
    <form id="form" autocomplete="off">
      <input id="text" placeholder="Ketik pesan… (coba: halo, akses, status, STOP)" aria-label="Pesan">
      <button type="submit">Kirim</button>
    </form>
  </div>
  <aside>
    <section>
      <h2>Kotak OTP (development)</h2>
      <p class="small">Di produksi kode dikirim lewat SMS/WhatsApp. Di sini kode tampil di bawah.</p>
      <div id="otp" class="small">Belum ada kode.</div>
    </section>
    <section>
      <h2>Pelanggan demo</h2>
      <p class="small">Pilih siapa Anda di chat ini: nomornya dipakai untuk tombol "bagikan kontak" dan dapat Anda ketik saat diminta.</p>
      <div id="customers"></div>
    </section>
  </aside>
</main>
<script>
(() => {
  const $ = (id) => document.getElementById(id);
  // The server issues the chat id and the token that reads its replies (routes.ts).
  let chatId = localStorage.getItem('hakdata-chat'), token = localStorage.getItem('hakdata-chat-token');
  let after = 0, customer = JSON.parse(localStorage.getItem('hakdata-customer') || 'null');
  let lang = localStorage.getItem('hakdata-lang') || 'id';
  $('lang').textContent = lang.toUpperCase();
  async function newChat() {
    const issued = await (await fetch('/chat/api/chats', { method: 'POST' })).json();
    chatId = issued.chatId; token = issued.token; after = 0;
    localStorage.setItem('hakdata-chat', chatId); localStorage.setItem('hakdata-chat-token', token);
  }
  function bubble(cls, build) { const d = document.createElement('div'); d.className = 'msg ' + cls; build(d); $('log').appendChild(d); $('log').scrollTop = 1e9; return d; }
  function text(el, t) { el.appendChild(document.createTextNode(t)); }
  function render(m) {
    bubble('bot', (d) => {
      if (m.kind === 'document') {
        d.classList.add('doc');
        const a = document.createElement('a');
        a.href = 'data:' + m.mimeType + ';base64,' + m.contentBase64; a.download = m.fileName;
        const ext = document.createElement('span'); ext.className = 'ext'; ext.textContent = (m.fileName.split('.').pop() || 'file').toUpperCase();
        a.appendChild(ext); text(a, m.fileName);
        d.appendChild(a); if (m.caption) { d.appendChild(document.createElement('br')); text(d, m.caption); }
        return;
      }
      text(d, m.text);
      const row = document.createElement('div'); row.className = 'buttons';
      if (m.kind === 'buttons') for (const b of m.buttons) {
        const btn = document.createElement('button'); btn.type = 'button'; btn.textContent = b.label;
        btn.onclick = () => { bubble('me', (x) => text(x, b.label)); send({ action: { value: b.value } }); };
        row.appendChild(btn);
      }
      if (m.kind === 'contact_request') {
        const btn = document.createElement('button'); btn.type = 'button'; btn.textContent = m.buttonLabel;
        btn.onclick = () => {
          if (!customer) { alert('Pilih pelanggan demo dulu (kanan).'); return; }
          bubble('me', (x) => text(x, customer.phone)); send({ contact: { phone: customer.phone } });
        };
        row.appendChild(btn);
      }
      if (row.children.length) d.appendChild(row);
    });
  }
  async function send(body) {
    if (!chatId || !token) await newChat();
    const res = await fetch('/chat/api/send', { method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ chatId, language: lang, ...body }) });
    if (!res.ok) bubble('bot', (d) => text(d, '(Pesan tidak terkirim: ' + res.status + ')'));
  }
  async function poll() {
    try {
      if (!chatId || !token) await newChat();
      const res = await fetch('/chat/api/replies?chatId=' + chatId + '&after=' + after, { headers: { 'x-chat-token': token } });
      if (res.status === 403) { await newChat(); $('log').innerHTML = ''; }
      const { replies = [] } = await res.json();
      for (const r of replies) { after = Math.max(after, r.seq); render(r.message); }
    } catch {}
    setTimeout(poll, 700);
  }
  async function pollOtp() {
    try {
      const { codes } = await (await fetch('/chat/api/otp')).json();
      $('otp').innerHTML = '';
      if (!codes.length) text($('otp'), 'Belum ada kode.');
      for (const c of codes.slice(0, 5)) {
        const row = document.createElement('div'); row.style.margin = '6px 0';
        const code = document.createElement('div'); code.className = 'code'; code.textContent = c.code;
        row.appendChild(code); text(row, c.maskedPhone + ' · ' + new Date(c.at).toLocaleTimeString());
        $('otp').appendChild(row);
      }
    } catch {}
    setTimeout(pollOtp, 1500);
  }
  async function loadCustomers() {
    const { customers } = await (await fetch('/chat/api/customers')).json();
    for (const c of customers) {
      const b = document.createElement('button'); b.type = 'button'; b.className = 'customer';
      b.innerHTML = ''; text(b, c.name + ' · ' + c.customerNo); b.appendChild(document.createElement('br'));
      const s = document.createElement('span'); s.className = 'small'; s.textContent = c.phone + (c.marketing ? ' · promo: ya' : ' · promo: tidak'); b.appendChild(s);
      if (customer && customer.customerNo === c.customerNo) b.classList.add('active');
      b.onclick = () => { customer = c; localStorage.setItem('hakdata-customer', JSON.stringify(c));
        document.querySelectorAll('.customer').forEach((x) => x.classList.remove('active')); b.classList.add('active'); };
      $('customers').appendChild(b);
    }
  }
  $('form').onsubmit = (e) => { e.preventDefault(); const t = $('text').value.trim(); if (!t) return;
    $('text').value = ''; bubble('me', (d) => text(d, t)); send({ text: t }); };
  $('new').onclick = async () => { await newChat(); $('log').innerHTML = ''; };
  $('lang').onclick = () => { lang = lang === 'id' ? 'en' : 'id'; localStorage.setItem('hakdata-lang', lang); $('lang').textContent = lang.toUpperCase(); };
  loadCustomers(); poll(); pollOtp();
})();
</script>
</body>
</html>`;
}
