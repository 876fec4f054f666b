"""The portal pages (templates) over HTTP."""

from __future__ import annotations

import hashlib

import httpx

from tests.api.conftest import (
    CERTIFICATE_DOCUMENT,
    UNIT,
    Served,
)
from tests.api.signin import bearer


def test_portal_page_shows_the_registration(served: Served) -> None:
    page = httpx.get(f"{served.base}/ip/{served.registered.hex()}")
    assert page.status_code == 200
    assert "Registered." in page.text and "CN-SH" in page.text
    # Anonymous: the owner is withheld, and the page says for whom it is.
    assert served.owner.lower() not in page.text
    assert page.text.count('class="withheld"') == 2 and "a court" in page.text
    # Signed in (the session cookie the login sets, as a browser sends it): shown.
    token = bearer(served.base, served.world.sh_enterprise)["Authorization"].split()[1]
    with httpx.Client(cookies={"ftz_session": token}) as browser:
        own = browser.get(f"{served.base}/ip/{served.registered.hex()}").text
    assert served.owner.lower() in own and 'class="withheld"' not in own
    missing = httpx.get(f"{served.base}/ip/{'ab' * 32}")
    assert "Not registered." in missing.text


def test_portal_pages_for_batches_certificates_and_declarations(served: Served) -> None:
    assert "sign in" in httpx.get(f"{served.base}/goods", params={"id": UNIT}).text
    owner = bearer(served.base, served.world.sh_enterprise)["Authorization"].split()[1]
    with httpx.Client(cookies={"ftz_session": owner}) as browser:
        page = browser.get(f"{served.base}/goods", params={"id": UNIT})
        assert page.status_code == 200 and "held by CN-AH" in page.text
        assert "ConsignmentReceived" in page.text and "/v1/trace/export?id=" in page.text
        unknown = browser.get(f"{served.base}/goods", params={"id": "urn:epc:nothing"})
        assert "Nothing on chain" in unknown.text
    # A number alone: the page asks to sign in (or, for a certificate, for its document).
    assert "sign in" in httpx.get(f"{served.base}/origin/CO-API-1").text
    document = hashlib.sha256(CERTIFICATE_DOCUMENT).hexdigest()
    certificate = httpx.get(
        f"{served.base}/origin/CO-API-1", params={"document_sha256": document}
    ).text
    assert "Revoked." in certificate and "wrong HS heading" in certificate
    assert "the one issued" in certificate and 'data-field="issuer"' in certificate
    assert "sign in" in httpx.get(f"{served.base}/customs/API-DEC-1").text
    token = bearer(served.base, served.world.customs.signer)["Authorization"].split()[1]
    with httpx.Client(cookies={"ftz_session": token}) as customs:
        declaration = customs.get(f"{served.base}/customs/API-DEC-1").text
    assert "awaiting inspection" in declaration and "inspection by CN-AH missing" in declaration
    assert "Inspection CN-SH" in declaration
    home = httpx.get(f"{served.base}/").text
    assert "/goods" in home and "/invoice" in home
    assert "/static/invoice.js" in httpx.get(f"{served.base}/invoice").text
    script = httpx.get(f"{served.base}/static/invoice.js")
    assert script.status_code == 200 and "/v1/invoices/verify" in script.text
