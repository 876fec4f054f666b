// Lists who read the signed-in enterprise's records (GET /v1/audit/mine), newest last.
// textContent only: nothing from the answer is parsed as HTML.
(async function () {
  const verdict = document.getElementById('verdict');
  const table = document.getElementById('readers');
  let after = 0;
  let count = 0;
  while (after !== null) {
    const reply = await fetch('/v1/audit/mine?limit=1000&after=' + after,
      {credentials: 'same-origin'});
    const body = await reply.json();
    if (!reply.ok) {
      verdict.className = 'no';
      verdict.textContent = body.error.message;
      return;
    }
    for (const e of body.entries) {
      const tr = table.insertRow();
      tr.className = 'reader';
      tr.insertCell().textContent = new Date(e.at_ms).toISOString().replace('T', ' ').slice(0, 19);
      tr.insertCell().textContent = e.caller;
      tr.insertCell().textContent = e.roles || '—';
      tr.insertCell().textContent = e.operation + ' ' + e.target;
      count += 1;
    }
    after = body.next_after;
  }
  verdict.className = 'ok';
  verdict.textContent = count + ' reads of your records.';
})();
