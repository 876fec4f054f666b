"""A printable certificate of an IP registration, made from a verified evidence bundle.

The certificate is a summary for people; the bundle is the evidence. Both the HTML page and the
PDF carry the bundle's address (as text and as a QR code) and the command that verifies it.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from html import escape
from typing import Any

import segno

from ftzchain.errors import FtzError
from ftzchain.evidence.verify import verify_bundle

CHINA_STANDARD_TIME = timezone(timedelta(hours=8), "CST")
WORK_TYPES = ["unspecified", "patent", "trademark", "copyright", "design", "trade secret"]
VERIFY_COMMAND = "ftz evidence verify bundle.json   (or: python -m ftzchain.evidence.verify)"


class CertificateError(FtzError):
    """The bundle does not verify, so no certificate is issued for it."""


@dataclass(frozen=True)
class Certificate:
    rows: list[tuple[str, str]]
    bundle_url: str
    content_hash: str

    @classmethod
    def from_bundle(cls, bundle: dict[str, Any], bundle_url: str) -> Certificate:
        verdict = verify_bundle(bundle)
        if not verdict.ok:
            raise CertificateError(
                f"the bundle does not verify ({verdict.failed_link}: {verdict.reason}); "
                "export it again from a synchronised node"
            )
        record, block, tx = bundle["record"], bundle["block"], bundle["transaction"]
        registered = datetime.fromtimestamp(int(record["registeredAt"]), UTC)
        zone = bytes.fromhex(record["zoneId"][2:]).rstrip(b"\0").decode("ascii", "replace")
        work_type = int(record["workType"])
        anchor = bundle.get("anchor")
        if anchor:
            outer = anchor["block"]["header"]
            when = datetime.fromtimestamp(int(outer["timestamp"], 16), UTC)
            anchor_text = (
                f"chain {anchor['chainId']}, block {int(outer['number'], 16)} "
                f"({anchor['block']['hash']}), {_both_times(when)}"
            )
        else:
            anchor_text = "not yet anchored to an external chain"
        rows = [
            ("Work SHA-256", record["contentHash"]),
            ("Owner (enterprise)", record["owner"]),
            ("Zone", zone),
            ("Work type", WORK_TYPES[work_type] if work_type < len(WORK_TYPES) else str(work_type)),
            ("Registered (UTC)", registered.strftime("%Y-%m-%d %H:%M:%S UTC")),
            (
                "Registered (China Standard Time)",
                registered.astimezone(CHINA_STANDARD_TIME).strftime("%Y-%m-%d %H:%M:%S CST"),
            ),
            ("Chain id", str(bundle["chain"]["chainId"])),
            ("Registry contract", bundle["chain"]["contract"]),
            ("Block", f"{int(block['header']['number'], 16)}  {block['hash']}"),
            ("Transaction", tx["hash"]),
            ("Submitted by zone node", record["submitter"]),
            ("External anchor", anchor_text),
            ("Evidence bundle", bundle_url),
            ("Verify offline with", VERIFY_COMMAND),
        ]
        return cls(rows, bundle_url, record["contentHash"])

    def html(self) -> str:
        qr = segno.make(self.bundle_url, error="m").svg_inline(scale=4)
        body = "".join(
            f"<tr><th>{escape(k)}</th><td><code>{escape(v)}</code></td></tr>" for k, v in self.rows
        )
        return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>IP registration certificate {escape(self.content_hash[:18])}…</title>
<style>
 body {{ font-family: Georgia, serif; max-width: 52rem; margin: 2rem auto; color: #111; }}
 h1 {{ font-size: 1.5rem; border-bottom: 2px solid #111; padding-bottom: .4rem; }}
 table {{ border-collapse: collapse; width: 100%; }}
 th {{ text-align: left; vertical-align: top; width: 16rem; padding: .35rem .5rem; }}
 td {{ padding: .35rem .5rem; word-break: break-all; }}
 tr:nth-child(odd) {{ background: #f4f4f4; }}
 .qr {{ float: right; margin-left: 1rem; }}
 .note {{ font-size: .85rem; color: #444; margin-top: 1.2rem; }}
 @media print {{ body {{ margin: 0; }} }}
</style></head><body>
<h1>FTZ Chain — Certificate of IP registration</h1>
<div class="qr" aria-label="QR code of the evidence bundle's address">{qr}</div>
<p>The work whose SHA-256 is below was registered on the FTZ Chain ledger at the time shown,
signed by its owner and submitted by its zone's node. This page summarises the evidence bundle;
the bundle itself can be checked with no network and no trust in this service.</p>
<table>{body}</table>
<p class="note">Issued from an evidence bundle that verified at issue time: header hash, receipt
and transaction inclusion proofs, the owner's EIP-712 signature and the zone node's transaction
signature. Verify the bundle yourself before relying on this page.</p>
</body></html>
"""

    def pdf(self) -> bytes:
        from reportlab.graphics import renderPDF
        from reportlab.graphics.barcode.qr import QrCodeWidget
        from reportlab.graphics.shapes import Drawing
        from reportlab.lib.pagesizes import A4
        from reportlab.pdfgen.canvas import Canvas

        out = io.BytesIO()
        canvas = Canvas(out, pagesize=A4, invariant=True)
        canvas.setTitle(f"IP registration certificate {self.content_hash}")
        width, height = A4
        y = height - 60
        canvas.setFont("Times-Bold", 17)
        canvas.drawString(50, y, "FTZ Chain - Certificate of IP registration")
        widget = QrCodeWidget(self.bundle_url)
        x0, y0, x1, y1 = widget.getBounds()
        size = 110
        drawing = Drawing(size, size, transform=[size / (x1 - x0), 0, 0, size / (y1 - y0), 0, 0])
        drawing.add(widget)
        renderPDF.draw(drawing, canvas, width - 50 - size, y - size + 10)
        canvas.setFont("Times-Roman", 10)
        canvas.drawString(
            50, y - 30, "Scan the code for the evidence bundle; its address is below."
        )
        y -= size + 15
        for label, value in self.rows:
            canvas.setFont("Times-Bold", 10)
            canvas.drawString(50, y, label)
            canvas.setFont("Courier", 8)
            for chunk in _wrap(value, 62):
                canvas.drawString(215, y, chunk)
                y -= 12
            y -= 6
        canvas.setFont("Times-Italic", 9)
        canvas.drawString(
            50, y - 10, "A summary of the evidence bundle; verify the bundle before relying on it."
        )
        canvas.showPage()
        canvas.save()
        return out.getvalue()


def _both_times(when: datetime) -> str:
    cst = when.astimezone(CHINA_STANDARD_TIME)
    return f"{when.strftime('%Y-%m-%d %H:%M:%S UTC')} / {cst.strftime('%Y-%m-%d %H:%M:%S CST')}"


def _wrap(text: str, width: int) -> list[str]:
    return [text[i : i + width] for i in range(0, len(text), width)] or [""]
