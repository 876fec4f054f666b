"""The web portal: a verification page for people (customs, courts, financiers)."""

from __future__ import annotations

from html import escape

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from api.deps import SessionDep, SettingsDep
from api.routers.ip import HASH_PATTERN, Sha256Path, _normalise, find_registration

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
<script>
async function go(hex) {{ location.href = '/ip/' + hex; }}
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
    content_hash = _normalise(sha256)
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
