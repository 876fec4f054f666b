// Posts the chosen invoice file to /v1/invoices/verify and shows the answer (textContent
// only: nothing from the answer is parsed as HTML). Fields the caller may not see come back
// null and listed under `withheld`; the page says so and for whom they are.
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
  const withheld = Object.fromEntries((body.withheld || []).map(w => [w.field, w.visible_to]));
  verdict.className = body.financeable ? 'ok' : 'no';
  if (body.status === null) {
    verdict.textContent = body.financeable ? 'free to finance' : 'not financeable now';
  } else {
    verdict.textContent = body.status + (body.refusal ? ' — ' + body.refusal : ' — free to finance');
  }
  const known = body.matched === null ? 'withheld: for ' + withheld.matched
    : body.matched.map(m => m.fingerprint + ' (' +
        (m.same_invoice ? 'this invoice' : 'another invoice') + ', ' + m.status + ')').join('; ');
  const rows = [['Issued in', body.zone], ['Issued at', body.issued_at],
                ['Goods linked', String(body.goods_linked)],
                ['Known fingerprints', known]];
  for (const [k, v] of rows) {
    const tr = table.insertRow();
    tr.insertCell().textContent = k;
    tr.insertCell().textContent = v ?? '';
  }
};
