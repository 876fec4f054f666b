// Posts the chosen invoice file to /v1/invoices/verify and shows the answer (textContent
// only: nothing from the answer is parsed as HTML).
document.getElementById('check').onsubmit = async (e) => {
  e.preventDefault();
  const text = await document.getElementById('file').files[0].text();
  const type = text.trim().startsWith('<') ? 'application/xml' : 'application/json';
  const r = await fetch('/v1/invoices/verify',
    {method: 'POST', body: text, headers: {'content-type': type}});
  const body = await r.json();
  const verdict = document.getElementById('verdict');
  const table = document.getElementById('result');
  table.textContent = '';
  if (!r.ok) { verdict.className = 'no'; verdict.textContent = body.error.message; return; }
  verdict.className = body.financeable ? 'ok' : 'no';
  verdict.textContent = body.status + (body.refusal ? ' — ' + body.refusal : ' — free to finance');
  const rows = [['Issued in', body.zone], ['Issued at', body.issued_at],
                ['Goods linked', String(body.goods_linked)],
                ['Known fingerprints', body.matched.map(m => m.fingerprint + ' (' +
                  (m.same_invoice ? 'this invoice' : 'another invoice') + ', ' +
                  m.status + ')').join('; ')]];
  for (const [k, v] of rows) {
    const tr = table.insertRow();
    tr.insertCell().textContent = k;
    tr.insertCell().textContent = v ?? '';
  }
};
