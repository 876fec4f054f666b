"""The web portal: a verification page for people (customs, courts, financiers)."""

from __future__ import annotations

from html import escape
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse

from api.deps import SessionDep, SettingsDep, chain_id, consortium_key
from api.queries.goods import (
    certificate_status,
    custody_chain,
    custody_state,
    declaration_status,
    timeline,
)
from api.queries.ip import find_registration, normalise_hash
from api.routers.ip import HASH_PATTERN, Sha256Path
from ftzchain.fingerprints import certificate_key, declaration_key, fingerprint

router = APIRouter(include_in_schema=False)

_STYLE = """
body{font-family:system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;color:#1d2433}
h1{font-size:1.5rem}h1 small{font-weight:normal;color:#667}
table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:.35rem .5rem;
border-bottom:1px solid #e3e6ea;vertical-align:top}th{width:11rem;color:#556}
code{word-break:break-all}.ok{color:#0a7a32}.no{color:#b3261e}
form{margin:1rem 0;padding:1rem;border:1px solid #e3e6ea;border-radius:.5rem}
"""


def _page(title: str, body: str) -> HTMLResponse:
    return HTMLResponse(
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        f"<meta name=viewport content='width=device-width'><title>{escape(title)}</title>"
        f"<style>{_STYLE}</style></head><body><h1>FTZ Chain <small>自贸链 verification</small>"
        f"</h1>{body}</body></html>"
    )


@router.get("/", response_class=HTMLResponse)
def home() -> HTMLResponse:
    """Upload a work (hashed in the browser, never uploaded) or paste its SHA-256."""
    return _page(
        "FTZ Chain verification",
        f"""
<form id=by-file><label>Check a work: <input type=file id=work required></label>
<button>Verify</button><p><small>The file is hashed in your browser; it is not sent.</small></p>
</form>
<form id=by-hash><label>or its SHA-256: <input id=hash size=70 pattern="{HASH_PATTERN}"
required></label> <button>Look up</button></form>
<form action=/goods><label>Trace a batch (EPC, class or lot id):
<input name=id size=60 required></label> <button>Trace</button></form>
<form id=by-certificate><label>Check a certificate of origin (number):
<input id=certificate size=30 required></label> <button>Check</button></form>
<form id=by-declaration><label>Customs declaration (number):
<input id=declaration size=30 required></label> <button>Status</button></form>
<p><a href=/invoice>Check an invoice before financing it</a></p>
<script>
async function go(hex) {{ location.href = '/ip/' + hex; }}
for (const [form, input, path] of [['by-certificate', 'certificate', '/origin/'],
                                   ['by-declaration', 'declaration', '/customs/']]) {{
  document.getElementById(form).onsubmit = (e) => {{
    e.preventDefault();
    location.href = path + encodeURIComponent(document.getElementById(input).value.trim());
  }};
}}
document.getElementById('by-file').onsubmit = async (e) => {{
  e.preventDefault();
  const buf = await document.getElementById('work').files[0].arrayBuffer();
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', buf));
  go(Array.from(digest, b => b.toString(16).padStart(2, '0')).join(''));
}};
document.getElementById('by-hash').onsubmit = (e) => {{
  e.preventDefault(); go(document.getElementById('hash').value.trim());
}};
</script>""",
    )


@router.get("/ip/{sha256}", response_class=HTMLResponse)
def ip_page(sha256: Sha256Path, session: SessionDep, settings: SettingsDep) -> HTMLResponse:
    content_hash = normalise_hash(sha256)
    record = find_registration(session, content_hash, settings.chain_id)
    if record is None:
        return _page(
            "Not registered",
            f"<p class=no id=verdict><b>Not registered.</b> No zone has registered "
            f"<code>{escape(content_hash)}</code> (as far as the index reaches).</p>"
            "<p><a href='/'>Check another work</a></p>",
        )
    rows = [
        ("Content SHA-256", f"<code>{escape(record.content_hash)}</code>"),
        ("Registered at", escape(record.registered_at.isoformat()) + " (block time, UTC)"),
        (
            "Zone",
            escape(record.zone) + (f" — {escape(record.zone_name)}" if record.zone_name else ""),
        ),
        ("Owner (enterprise)", f"<code>{escape(record.owner)}</code>"),
        ("Current owner", f"<code>{escape(record.current_owner)}</code>"),
        ("Court freeze", "<b class=no>frozen during a dispute</b>" if record.frozen else "none"),
        ("Work type", escape(record.work_type)),
        ("Block", str(record.block_number)),
        ("Transaction", f"<code>{escape(record.tx_hash)}</code>"),
        ("Chain / contract", f"{record.chain_id} / <code>{escape(record.contract)}</code>"),
    ]
    table = "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in rows)
    return _page(
        "Registered",
        f"<p class=ok id=verdict><b>Registered.</b> This work was on chain at the time below."
        f"</p><table>{table}</table><p><a href='/v1/ip/{escape(content_hash)}'>JSON</a> · "
        f"<a id=bundle href='/v1/evidence/{escape(content_hash)}'>Evidence bundle</a> · "
        f"<a id=certificate href='/v1/evidence/{escape(content_hash)}/certificate'>Certificate</a>"
        f" (<a href='/v1/evidence/{escape(content_hash)}/certificate.pdf'>PDF</a>) · "
        "<a href='/'>Check another work</a></p>",
    )


def _table(rows: list[tuple[str, str]]) -> str:
    return "<table>" + "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in rows) + "</table>"


@router.get("/goods", response_class=HTMLResponse)
def goods_page(
    session: SessionDep,
    settings: SettingsDep,
    id: Annotated[str, Query(min_length=1, description="EPC, class or lot id")],
) -> HTMLResponse:
    """A batch: who holds it, and everything that happened to it."""
    lot = "0x" + fingerprint(id, consortium_key(settings)).hex()
    chain = chain_id(settings)
    events = timeline(session, chain, lot)
    if not events:
        return _page(
            "Unknown batch",
            f"<p class=no id=verdict><b>Nothing on chain</b> about <code>{escape(id)}</code>"
            " (as far as the index reaches).</p><p><a href='/'>Back</a></p>",
        )
    state, zone = custody_state(custody_chain(session, chain, lot))
    held = {"held": "held by", "in_transit": "in transit from", "unknown": "custody unknown"}
    rows = "".join(
        f"<tr><td>{escape(e.time.strftime('%Y-%m-%d %H:%M'))}</td><td>{escape(e.kind)}</td>"
        f"<td>{escape(e.zone or '')}{' → ' + escape(e.other_zone) if e.other_zone else ''}</td>"
        f"<td>{escape(e.detail or '')}</td></tr>"
        for e in events
    )
    quoted = quote(id, safe="")
    return _page(
        "Batch",
        f"<p id=verdict><b>{escape(id)}</b>: {held[state]} {escape(zone or '')}</p>"
        f"<table id=timeline><tr><th>time (UTC)</th><th>what</th><th>zone</th><th>detail</th>"
        f"</tr>{rows}</table><p><a href='/v1/trace/export?id={quoted}&format=csv'>Upstream "
        f"events (CSV)</a> · <a href='/v1/trace/upstream?id={quoted}'>Trace back (JSON)</a> · "
        f"<a href='/v1/trace/downstream?id={quoted}'>Trace forward</a> · <a href='/'>Back</a></p>",
    )


@router.get("/origin/{number}", response_class=HTMLResponse)
def certificate_page(number: str, session: SessionDep, settings: SettingsDep) -> HTMLResponse:
    """A certificate of origin: valid, revoked or superseded."""
    cert = "0x" + certificate_key(number, consortium_key(settings)).hex()
    found = certificate_status(session, chain_id(settings), cert)
    if found is None:
        return _page(
            "Unknown certificate",
            f"<p class=no id=verdict><b>No certificate {escape(number)}</b> is on chain.</p>",
        )
    verdict = {
        "valid": ("ok", "Valid."),
        "revoked": ("no", "Revoked."),
        "superseded": ("no", "Superseded."),
    }
    css, text = verdict[found.status]
    rows = [
        (
            "Issued by",
            f"{escape(found.issued.zone or '')} — <code>{escape(found.issued.actor)}</code>",
        ),
        ("Issued at", escape(found.issued.block_time.isoformat()) + " (UTC)"),
        ("Document SHA-256", f"<code>{escape(found.issued.document_hash or '')}</code>"),
    ]
    if found.closed is not None:
        rows.append(("Closed at", escape(found.closed.block_time.isoformat())))
    if found.closed is not None and found.closed.reason:
        rows.append(("Reason", escape(found.closed.reason)))
    return _page(
        "Certificate of origin",
        f"<p class={css} id=verdict><b>{text}</b> Certificate of origin {escape(number)}.</p>"
        f"{_table(rows)}<p><a href='/'>Back</a></p>",
    )


@router.get("/customs/{number}", response_class=HTMLResponse)
def declaration_page(number: str, session: SessionDep, settings: SettingsDep) -> HTMLResponse:
    """A customs declaration: inspections and clearance."""
    decl = "0x" + declaration_key(number, consortium_key(settings)).hex()
    found = declaration_status(session, chain_id(settings), decl)
    if found is None:
        return _page(
            "Unknown declaration",
            f"<p class=no id=verdict><b>No declaration {escape(number)}</b> is on chain.</p>",
        )
    css = "ok" if found.cleared else "no"
    why = "" if found.cleared else " — " + escape("; ".join(found.blocking) or "not cleared yet")
    rows = [
        ("Route", f"{escape(found.origin_zone)} → {escape(found.destination_zone)}"),
        ("Rule", escape(found.rule)),
    ] + [
        (f"Inspection {escape(zone)}", "passed" if r.passed else "<b class=no>failed</b>")
        for zone, r in found.inspections.items()
    ]
    return _page(
        "Customs declaration",
        f"<p class={css} id=verdict><b>{escape(found.status.replace('_', ' '))}</b>{why}</p>"
        f"{_table(rows)}<p><a href='/'>Back</a></p>",
    )


@router.get("/invoice", response_class=HTMLResponse)
def invoice_page() -> HTMLResponse:
    """Check an invoice (JSON or UBL XML) before financing it."""
    return _page(
        "Check an invoice",
        """
<form id=check><label>Invoice (JSON or UBL 2.1 XML): <input type=file id=file required></label>
<button>Check</button><p><small>The invoice goes to this zone's server, which turns it into
keyed fingerprints to look up; nothing readable of it is stored or sent on.</small></p></form>
<p id=verdict></p><table id=result></table>
<script>
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
</script>""",
    )
