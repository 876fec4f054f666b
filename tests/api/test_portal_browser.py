"""The portal in a real headless browser: Debian's chromium driven by Playwright (no browser
download). A test wallet (an EIP-1193 provider injected into the page, signing with a test
key) signs in with an EIP-4361 message; each page then shows what the caller's role may see
and says what is withheld and from whom."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from ftzchain.devnet import free_port
from ftzchain.signing import LocalSigner, Signer
from tests.api.conftest import Served
from tests.conftest import TEST_CONSORTIUM_KEY
from tests.serving import serving

# The wallet: window.ethereum answers eth_requestAccounts and personal_sign through two
# functions the test exposes to the page.
PROVIDER = """
window.ethereum = {
  request: async ({method, params}) => {
    if (method === 'eth_requestAccounts') return [await window.ftzTestAccount()];
    if (method === 'personal_sign') return await window.ftzTestSign(params[0], params[1]);
    throw new Error('the test wallet does not do ' + method);
  },
};
"""


def _chromium() -> str:
    path = os.environ.get("FTZ_CHROMIUM") or shutil.which("chromium")
    if not path:
        raise AssertionError("Debian's chromium is needed: `make chromium` (or set FTZ_CHROMIUM)")
    return path


@pytest.fixture(scope="module")
def portal(served: Served) -> Iterator[str]:
    """The served index behind its own API, whose public URL is where the browser goes (the
    sign-in message names that authority)."""
    port = free_port()
    world = served.world
    env = {
        **os.environ,
        "FTZ_DATABASE_URL": served.db_url,
        "FTZ_CHAIN_ID": str(world.node.chain_id),
        "FTZ_RPC_URL": world.node.url,
        "FTZ_STATE_DIR": str(world.ctx.settings.state_dir),
        "FTZ_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "FTZ_CONSORTIUM_KEY": TEST_CONSORTIUM_KEY,
        "FTZ_ZONE": "CN-SH",
        "FTZ_RATE_LIMIT_PER_MINUTE": "0",
        "FTZ_LOOKUP_RATE_PER_MINUTE": "0",
    }
    with serving(env, port=port) as (base, _proc):
        yield base


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=_chromium(), headless=True)
        try:
            yield launched
        finally:
            launched.close()


@dataclass
class Wallet:
    key: Signer | None = None
    signed: list[str] = field(default_factory=list)


def _page(browser: Browser, wallet: Wallet | None) -> Page:
    """A fresh browser profile (no cookies), with the test wallet when ``wallet`` is given."""
    context = browser.new_context()
    if wallet is not None:

        def sign(message_hex: str, account: str) -> str:
            assert wallet.key is not None  # signs with its key, whatever account was named
            text = bytes.fromhex(message_hex[2:]).decode()
            wallet.signed.append(text)
            return "0x" + wallet.key.sign_text(text).hex()

        context.expose_function(
            "ftzTestAccount", lambda: wallet.key.address.lower() if wallet.key else None
        )
        context.expose_function("ftzTestSign", sign)
        context.add_init_script(PROVIDER)
    return context.new_page()


def _sign_in(page: Page) -> str:
    status = page.locator("#signin-status")
    status.wait_for()
    page.wait_for_function("document.getElementById('signin-button').textContent !== ''")
    with page.expect_navigation():
        page.click("#signin-button")
    page.wait_for_function(
        "document.getElementById('signin-status').textContent.startsWith('Signed in')"
    )
    return status.text_content() or ""


def test_the_owner_signs_in_with_a_wallet_and_sees_its_registration(
    portal: str, served: Served, browser: Browser
) -> None:
    owner = served.world.sh_enterprise
    wallet = Wallet(owner)
    page = _page(browser, wallet)
    try:
        page.goto(f"{portal}/ip/{served.registered.hex()}")
        page.wait_for_function(
            "document.getElementById('signin-status').textContent.startsWith('Not signed in')"
        )
        withheld = page.locator(".withheld")
        assert withheld.count() == 2
        assert "the owner enterprise; a court" in (withheld.first.text_content() or "")
        assert owner.address.lower() not in page.content()
        status = _sign_in(page)
        assert owner.address.lower() in status and "enterprise of CN-SH" in status
        (message,) = wallet.signed
        assert message.startswith(f"127.0.0.1:{portal.rsplit(':', 1)[1]} wants you to sign in")
        assert f"\n{owner.address}\n" in message  # EIP-55 case, from the nonce's answer
        assert page.locator(".withheld").count() == 0
        assert owner.address.lower() in page.content()
        with page.expect_navigation():
            page.click("#signin-button")  # now "Sign out"
        page.wait_for_function(
            "document.getElementById('signin-status').textContent.startsWith('Not signed in')"
        )
        assert page.locator(".withheld").count() == 2
    finally:
        page.context.close()


def test_customs_see_the_inspections_and_another_enterprise_is_told_why_not(
    portal: str, served: Served, browser: Browser
) -> None:
    world = served.world
    for key, sees in ((world.customs.signer, True), (world.ah_enterprise, False)):
        page = _page(browser, Wallet(key))
        try:
            page.goto(f"{portal}/customs/API-DEC-1")
            assert "sign in" in (page.locator("#verdict").text_content() or "")
            _sign_in(page)
            body = page.locator("body").text_content() or ""
            assert "awaiting inspection" in body
            if sees:
                assert "Inspection CN-SH" in body and page.locator(".withheld").count() == 0
            else:
                assert "Inspection CN-SH" not in body
                assert "withheld: for customs or the zone node" in body
        finally:
            page.context.close()


def test_an_enterprise_sees_in_the_portal_who_read_its_records(
    portal: str, served: Served, browser: Browser
) -> None:
    import httpx

    from tests.api.signin import bearer

    world = served.world
    court = bearer(served.base, world.court.signer)
    assert httpx.get(f"{served.base}/v1/ip/0x{served.registered.hex()}", headers=court).is_success
    page = _page(browser, Wallet(world.sh_enterprise))
    try:
        page.goto(f"{portal}/audit")
        page.wait_for_function("document.getElementById('verdict').textContent !== ''")
        assert "sign in" in (page.locator("#verdict").text_content() or "")
        _sign_in(page)
        page.wait_for_function("document.getElementById('verdict').textContent.includes('reads')")
        readers = page.locator("tr.reader")
        rows = [readers.nth(i).text_content() or "" for i in range(readers.count())]
        assert any(world.court.address.lower() in r and "COURT@CN-AH" in r for r in rows)
    finally:
        page.context.close()


def test_without_a_wallet_the_portal_says_so(portal: str, served: Served, browser: Browser) -> None:
    page = _page(browser, None)
    try:
        page.goto(f"{portal}/ip/{served.registered.hex()}")
        page.wait_for_function("document.getElementById('signin-button').textContent !== ''")
        page.click("#signin-button")
        page.wait_for_function(
            "document.getElementById('signin-status').textContent.startsWith('No browser wallet')"
        )
    finally:
        page.context.close()


def test_a_wallet_with_another_key_than_it_claims_is_refused(
    portal: str, served: Served, browser: Browser
) -> None:
    wallet = Wallet(LocalSigner.generate())
    page = _page(browser, wallet)
    try:
        page.goto(f"{portal}/ip/{served.registered.hex()}")
        page.wait_for_function("document.getElementById('signin-button').textContent !== ''")
        # The wallet answers for one account and signs with another key: the API refuses.
        page.evaluate("window.ftzTestAccount = async () => '0x' + '11'.repeat(20)")
        page.click("#signin-button")
        page.wait_for_function(
            "document.getElementById('signin-status').textContent.startsWith('Sign-in refused')"
        )
        assert "signed by" in (page.locator("#signin-status").text_content() or "")
    finally:
        page.context.close()
