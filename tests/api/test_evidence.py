"""/v1/evidence: bundles that verify offline, certificates."""

from __future__ import annotations

import httpx

from ftzchain.evidence.verify import verify_bundle
from tests.api.conftest import (
    Served,
)
from tests.api.signin import bearer


def test_evidence_bundle_over_http_verifies_offline(served: Served) -> None:
    url = f"{served.base}/v1/evidence/{served.registered.hex()}"
    assert httpx.get(url).status_code == 401  # it names the owner: for the owner and courts
    outsider = bearer(served.base, served.world.ah_enterprise)
    assert httpx.get(url, headers=outsider).json()["error"]["code"] == "forbidden"
    r = httpx.get(url, headers=bearer(served.base, served.world.court.signer))
    assert r.status_code == 200
    verdict = verify_bundle(r.json())
    assert verdict.ok, verdict.reason
    assert verdict.facts["zone node"] == served.zone_node.lower()
    assert verdict.facts["owner"] == served.owner.lower()


def test_evidence_for_unknown_hash_is_404(served: Served) -> None:
    r = httpx.get(f"{served.base}/v1/evidence/{'cd' * 32}")
    assert r.status_code == 404
    assert r.json()["error"]["code"] == "ip_not_registered"


def test_certificate_html_and_pdf(served: Served) -> None:
    owner = bearer(served.base, served.world.sh_enterprise)
    page = httpx.get(
        f"{served.base}/v1/evidence/{served.registered.hex()}/certificate", headers=owner
    )
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "0x" + served.registered.hex() in page.text
    assert "CST" in page.text and "<svg" in page.text
    assert f"https://sh.zone.example/v1/evidence/0x{served.registered.hex()}" in page.text
    pdf = httpx.get(
        f"{served.base}/v1/evidence/{served.registered.hex()}/certificate.pdf", headers=owner
    )
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-")
    portal = httpx.get(f"{served.base}/ip/{served.registered.hex()}")
    assert "/certificate" in portal.text and "Evidence bundle" in portal.text
