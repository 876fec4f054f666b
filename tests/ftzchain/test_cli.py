"""The `ftz` command as a user runs it: help, one-line errors, and a whole governance flow."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ftzchain.devnet import LocalNode, dev_private_key, free_port
from tests.conftest import ROOT, TEST_CONSORTIUM_KEY

FTZ = str(Path(sys.executable).with_name("ftz"))


def run(
    args: list[str], env: dict[str, str], check: bool = True
) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [FTZ, *args], env=env, capture_output=True, text=True, timeout=300, cwd=ROOT
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"ftz {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}")
    return proc


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "FTZ_PROJECT_ROOT": str(ROOT),
        "FTZ_STATE_DIR": str(tmp_path / "state"),
        "FTZ_DATABASE_URL": f"sqlite:///{tmp_path / 'ftz.db'}",
        "FTZ_KEYSTORE_PASSWORD": "cli-test-password",
        "FTZ_KEYSTORE_SCRYPT_N": "16384",
        "FTZ_CONSORTIUM_KEY": TEST_CONSORTIUM_KEY,
        "COLUMNS": "200",
    }


@pytest.mark.parametrize(
    "command",
    [
        [],
        ["keys"],
        ["devnet"],
        ["gov"],
        ["ip"],
        ["index"],
        ["deploy"],
        ["serve"],
        ["ip", "register"],
        ["gov", "propose"],
        ["index", "status"],
        ["ip", "transfer"],
        ["ip", "register-many"],
        ["trace"],
        ["trace", "hash"],
        ["trace", "record"],
        ["ip", "license"],
        ["ip", "freeze"],
        ["ip", "unfreeze"],
        ["ip", "ruling"],
        ["evidence"],
        ["evidence", "export"],
        ["evidence", "verify"],
        ["evidence", "certificate"],
        ["anchor"],
        ["anchor", "deploy"],
        ["anchor", "run"],
        ["custody"],
        ["custody", "take"],
        ["custody", "dispatch"],
        ["custody", "receive"],
        ["custody", "show"],
        ["customs"],
        ["customs", "declare"],
        ["customs", "inspect"],
        ["customs", "clear"],
        ["customs", "status"],
        ["origin"],
        ["origin", "issue"],
        ["origin", "revoke"],
        ["origin", "supersede"],
        ["origin", "verify"],
        ["trace", "timeline"],
        ["trace", "export"],
        ["invoice"],
        ["invoice", "issue"],
        ["invoice", "bind-seller"],
        ["invoice", "void"],
        ["invoice", "paid"],
        ["invoice", "link-goods"],
        ["invoice", "verify"],
        ["invoice", "pledge"],
        ["invoice", "release"],
        ["relay"],
        ["submit"],
        ["sign"],
        ["sign", "ip"],
        ["sign", "trace"],
        ["sign", "ip-transfer"],
        ["sign", "ip-licence"],
        ["sign", "invoice"],
        ["sign", "invoice-action"],
        ["sign", "invoice-goods"],
        ["network"],
        ["network", "up"],
        ["network", "down"],
        ["network", "status"],
        ["index", "digest"],
    ],
)
def test_every_command_has_help(env: dict[str, str], command: list[str]) -> None:
    proc = run([*command, "--help"], env)
    assert "Usage:" in proc.stdout


def _assert_one_line_error(proc: subprocess.CompletedProcess[str], fragment: str) -> None:
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    assert fragment in lines[0]


def test_missing_node_is_one_line_saying_what_to_do(env: dict[str, str], tmp_path: Path) -> None:
    work = tmp_path / "w.txt"
    work.write_text("x")
    proc = run(
        ["ip", "verify", str(work)],
        {**env, "FTZ_RPC_URL": f"http://127.0.0.1:{free_port()}"},
        check=False,
    )
    _assert_one_line_error(proc, "ftz devnet up")


def test_a_bad_setting_is_one_line_naming_the_variable(env: dict[str, str]) -> None:
    proc = run(["keys", "list"], {**env, "FTZ_KEYSTORE_SCRYPT_N": "16"}, check=False)
    _assert_one_line_error(proc, "FTZ_KEYSTORE_SCRYPT_N")


def test_malformed_hash_is_one_line(env: dict[str, str]) -> None:
    _assert_one_line_error(run(["ip", "show", "zz"], env, check=False), "64 hex digits")


def test_missing_file_is_one_line(env: dict[str, str], tmp_path: Path) -> None:
    proc = run(["ip", "verify", str(tmp_path / "nope.pdf")], env, check=False)
    _assert_one_line_error(proc, "cannot read")


def test_missing_password_without_terminal_is_one_line(env: dict[str, str]) -> None:
    del env["FTZ_KEYSTORE_PASSWORD"]
    proc = subprocess.run(
        [FTZ, "keys", "new", "x"],
        env=env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        cwd=ROOT,
    )
    _assert_one_line_error(proc, "FTZ_KEYSTORE_PASSWORD")


def test_governance_and_ip_flow_through_the_cli(
    anvil: LocalNode, env: dict[str, str], tmp_path: Path
) -> None:
    env = {**env, "FTZ_RPC_URL": anvil.url}
    # committee members and the zone node are funded dev accounts; the enterprise is new
    for name, index in [("c1", 1), ("c2", 2), ("c3", 3), ("sh-node", 4), ("court", 5)]:
        run(["keys", "new", name, "--import-key", dev_private_key(index).hex()], env)
    run(["keys", "new", "acme"], env)
    run(["keys", "new", "beta"], env)
    listed = run(["keys", "list"], env).stdout
    addresses = {line.split()[0]: line.split()[1] for line in listed.splitlines()}
    assert set(addresses) == {"c1", "c2", "c3", "sh-node", "court", "acme", "beta"}

    members = [arg for n in ("c1", "c2", "c3") for arg in ("--member", addresses[n])]
    out = run(["deploy", "--sender", "c1", *members, "--threshold", "2", "--force"], env).stdout
    assert "deployed" in out
    again = run(["deploy", "--sender", "c1", *members, "--threshold", "2"], env).stdout
    assert "already deployed" in again

    def decide(*proposal: str) -> None:
        created = run(["gov", "propose", *proposal, "--sender", "c1"], env).stdout
        pid = created.split()[1].rstrip(":")
        refused = run(["gov", "execute", pid, "--sender", "c1"], env, check=False)
        _assert_one_line_error(refused, "GovernanceThresholdNotMet")
        run(["gov", "approve", pid, "--sender", "c2"], env)
        run(["gov", "execute", pid, "--sender", "c3"], env)

    decide("admit-zone", "--zone", "CN-SH")
    decide(
        "grant-role", "--role", "zone_node", "--account", addresses["sh-node"], "--zone", "CN-SH"
    )
    decide("bind-enterprise", "--account", addresses["acme"], "--zone", "CN-SH")
    listing = run(["gov", "list"], env).stdout
    assert listing.count("executed") == 3 and "admit_zone CN-SH" in listing
    decide("bind-enterprise", "--account", addresses["beta"], "--zone", "CN-SH")
    decide("grant-role", "--role", "court", "--account", addresses["court"], "--zone", "CN-SH")

    work = tmp_path / "design.pdf"
    work.write_bytes(b"%PDF-1.7 a design")
    assert run(["ip", "verify", str(work)], env, check=False).returncode == 1
    registered = run(
        [
            "ip",
            "register",
            str(work),
            "--enterprise",
            "acme",
            "--sender",
            "sh-node",
            "--work-type",
            "design",
        ],
        env,
    ).stdout
    assert "CN-SH" in registered
    verified = run(["ip", "verify", str(work)], env).stdout
    assert "registered" in verified and addresses["acme"] in verified
    dup = run(
        ["ip", "register", str(work), "--enterprise", "acme", "--sender", "sh-node"],
        env,
        check=False,
    )
    _assert_one_line_error(dup, "IpRegistryAlreadyRegistered")

    many = [tmp_path / f"drawing-{i}.dxf" for i in range(120)]
    for i, path in enumerate(many):
        path.write_bytes(f"drawing {i}".encode())
    out = run(
        ["ip", "register-many", *map(str, many), "--enterprise", "acme", "-s", "sh-node"], env
    )
    assert "queued 120 new works" in out.stdout and "120 works confirmed in 2" in out.stdout
    again = run(["ip", "register-many", str(many[0]), "--enterprise", "acme", "-s", "sh-node"], env)
    assert "queued 0 new works" in again.stdout
    assert "registered" in run(["ip", "verify", str(many[119])], env).stdout

    epcis = str(ROOT / "tests" / "data" / "epcis-shipping.json")
    hashes = run(["trace", "hash", epcis], env).stdout.split()
    assert len(hashes) == 2 and all(h.startswith("ni:///sha-256;") for h in hashes)
    recorded = run(["trace", "record", epcis, "--enterprise", "acme", "-s", "sh-node"], env)
    assert "recorded 2 events in CN-SH" in recorded.stdout

    indexed = run(["--log-format", "json", "index"], env)
    assert "indexed chain" in indexed.stdout
    logs = [json.loads(line) for line in indexed.stderr.splitlines() if line.strip()]
    done = [e for e in logs if e["logger"] == "ftzchain.index"][-1]
    assert done["level"] == "info" and done["block"] == done["target"] and done["events"] > 120
    assert "lag 0" in run(["index", "status"], env).stdout

    # Court evidence: export from the indexed record, verify offline, print a certificate.
    sha = hashlib.sha256(work.read_bytes()).hexdigest()
    bundle = tmp_path / "bundle.json"
    run(["evidence", "export", sha, "--out", str(bundle)], env)
    verdict = run(["evidence", "verify", str(bundle)], env).stdout
    assert verdict.startswith("VERIFIED") and addresses["acme"].lower() in verdict
    html, pdf = tmp_path / "cert.html", tmp_path / "cert.pdf"
    run(["evidence", "certificate", str(bundle), "--html", str(html), "--pdf", str(pdf)], env)
    assert sha in html.read_text() and pdf.read_bytes().startswith(b"%PDF-")
    unknown = run(["evidence", "export", "ab" * 32], env, check=False)
    _assert_one_line_error(unknown, "ftz index")

    # Lifecycle: a frozen work cannot move; after the ruling and unfreeze it can.
    case = ["--case", "(2026) Hu 73 Min Chu 1"]
    run(["ip", "freeze", sha, *case, "--sender", "court"], env)
    frozen = run(
        ["ip", "transfer", sha, "--owner", "acme", "--to", addresses["beta"], "-s", "sh-node"],
        env,
        check=False,
    )
    _assert_one_line_error(frozen, "IpRegistryFrozen")
    not_court = run(["ip", "unfreeze", sha, *case, "--sender", "sh-node"], env, check=False)
    _assert_one_line_error(not_court, "IpRegistryNotCourt")
    judgment = tmp_path / "judgment.txt"
    judgment.write_text("The registration stands; ownership may pass to beta.")
    run(["ip", "ruling", sha, *case, "--judgment", str(judgment), "--sender", "court"], env)
    run(["ip", "unfreeze", sha, *case, "--sender", "court"], env)
    terms = tmp_path / "terms.txt"
    terms.write_text("non-exclusive, CN, EV batteries")
    licensed = run(
        [
            "ip",
            "license",
            sha,
            "--owner",
            "acme",
            "--licensee",
            addresses["beta"],
            "--terms",
            str(terms),
            "--valid-from",
            "2027-01-01",
            "--valid-until",
            "2027-12-31",
            "--sender",
            "sh-node",
        ],
        env,
    ).stdout
    assert "licence 1" in licensed
    run(["ip", "transfer", sha, "--owner", "acme", "--to", addresses["beta"], "-s", "sh-node"], env)
    assert addresses["beta"] in run(["ip", "show", sha], env).stdout


def test_goods_across_zones_through_the_cli(
    anvil: LocalNode, env: dict[str, str], tmp_path: Path
) -> None:
    env = {**env, "FTZ_RPC_URL": anvil.url, "FTZ_CHAIN_ID": str(anvil.chain_id)}
    names = ["chair", "sh-node", "ah-node", "sh-customs", "ah-customs", "sh-issuer", "ah-bank"]
    for index, name in enumerate(names, start=1):
        run(["keys", "new", name, "--import-key", dev_private_key(index).hex()], env)
    run(["keys", "new", "maker"], env)
    addresses = {
        line.split()[0]: line.split()[1] for line in run(["keys", "list"], env).stdout.splitlines()
    }
    run(["deploy", "-s", "chair", "--member", addresses["chair"], "--threshold", "1"], env)

    def decide(*proposal: str) -> None:
        pid = run(["gov", "propose", *proposal, "-s", "chair"], env).stdout.split()[1].rstrip(":")
        run(["gov", "execute", pid, "-s", "chair"], env)

    for zone in ("CN-SH", "CN-AH"):
        decide("admit-zone", "--zone", zone)
    for role, name, zone in [
        ("zone_node", "sh-node", "CN-SH"),
        ("zone_node", "ah-node", "CN-AH"),
        ("customs", "sh-customs", "CN-SH"),
        ("customs", "ah-customs", "CN-AH"),
        ("origin_issuer", "sh-issuer", "CN-SH"),
        ("financier", "ah-bank", "CN-AH"),
    ]:
        decide("grant-role", "--role", role, "--account", addresses[name], "--zone", zone)
    decide("bind-enterprise", "--account", addresses["maker"], "--zone", "CN-SH")

    lot = ["--lot", "urn:epc:class:lgtin:4012345.000001.L1"]
    epcis = str(ROOT / "tests" / "data" / "epcis-shipping.json")
    shipped = run(["trace", "record", epcis, "--enterprise", "maker", "-s", "sh-node"], env)
    event = shipped.stdout.split()[0]
    run(["custody", "take", "--zone", "CN-SH", *lot, "--event", event, "-s", "sh-node"], env)
    wrong = run(
        ["custody", "dispatch", "C-1", "--from", "CN-AH", "--to", "CN-SH", *lot, "-s", "ah-node"],
        env,
        check=False,
    )
    _assert_one_line_error(wrong, "CustodyNotCustodian")
    run(
        ["custody", "dispatch", "C-1", "--from", "CN-SH", "--to", "CN-AH", *lot, "-s", "sh-node"],
        env,
    )
    assert "in transit from CN-SH" in run(["custody", "show", lot[1]], env).stdout
    again = run(
        ["custody", "dispatch", "C-2", "--from", "CN-SH", "--to", "CN-AH", *lot, "-s", "sh-node"],
        env,
        check=False,
    )
    _assert_one_line_error(again, "CustodyLotInTransit")
    run(["custody", "receive", "C-1", *lot, "-s", "ah-node"], env)
    assert "held by CN-AH" in run(["custody", "show", lot[1]], env).stdout

    declare = ["customs", "declare", "D-1", "--consignment", "C-1"]
    run([*declare, "--origin", "CN-SH", "--destination", "CN-AH", "-s", "sh-node"], env)
    run(["customs", "inspect", "D-1", "--zone", "CN-SH", "--passed", "-s", "sh-customs"], env)
    early = run(
        ["customs", "clear", "D-1", "--zone", "CN-AH", "-s", "ah-customs"], env, check=False
    )
    _assert_one_line_error(early, "CustomsInspectionMissing")
    status = run(["customs", "status", "D-1"], env).stdout
    assert "CN-AH: not inspected" in status and "not cleared" in status
    run(["customs", "inspect", "D-1", "--zone", "CN-AH", "--passed", "-s", "ah-customs"], env)
    run(["customs", "clear", "D-1", "--zone", "CN-AH", "-s", "ah-customs"], env)
    assert "  cleared" in run(["customs", "status", "D-1"], env).stdout

    certificate = tmp_path / "co.pdf"
    certificate.write_bytes(b"%PDF-1.7 certificate of origin CO-1")
    forged = tmp_path / "forged.pdf"
    forged.write_bytes(b"%PDF-1.7 certificate of origin CO-1 (edited)")
    issue = ["origin", "issue", "CO-1", "--zone", "CN-SH", "--lot", lot[1]]
    run([*issue, "--document", str(certificate), "-s", "sh-issuer"], env)
    assert run(["origin", "verify", "CO-1", "--document", str(certificate)], env).returncode == 0
    copy = run(["origin", "verify", "CO-1", "--document", str(forged)], env, check=False)
    assert copy.returncode == 1 and "COPY DIFFERS" in copy.stdout
    run(["origin", "revoke", "CO-1", "--reason", "wrong HS heading", "-s", "sh-issuer"], env)
    revoked = run(["origin", "verify", "CO-1"], env, check=False)
    assert revoked.returncode == 1 and "revoked" in revoked.stdout

    run(["index"], env)
    timeline = run(["trace", "timeline", lot[1]], env).stdout
    for step in ("CustodyTaken", "ConsignmentReceived", "DeclarationCleared", "CertificateRevoked"):
        assert step in timeline
    out = tmp_path / "export.csv"
    run(["trace", "export", lot[1], "--out", str(out), "--sort", "kind"], env)
    lines = out.read_text().splitlines()
    assert lines[0].startswith("time,kind,") and len(lines) > 8

    # An invoice for the goods: issued, linked to the consignment, pledged once only.
    invoice = ROOT / "tests" / "data" / "invoice-auto-parts.json"
    retyped = tmp_path / "retyped.json"
    retyped.write_text(invoice.read_text().replace("SH-2026-00042", "sh 2026-0004-2"))
    assert run(["invoice", "verify", str(invoice)], env, check=False).returncode == 1
    unbound = run(
        ["invoice", "issue", str(invoice), "--seller", "maker", "-s", "sh-node"], env, check=False
    )
    _assert_one_line_error(unbound, "InvoiceSellerNotBound")
    bind = ["invoice", "bind-seller", "--seller", "maker", "-s", "sh-node"]
    run([*bind, "--uscc", "91310115660123450W"], env)
    run(["invoice", "issue", str(invoice), "--seller", "maker", "-s", "sh-node"], env)
    assert run(["invoice", "verify", str(invoice)], env).returncode == 0
    goods = ["--consignment", "C-1", "--seller", "maker", "-s", "sh-node"]
    run(["invoice", "link-goods", str(invoice), *goods], env)
    pledge = ["invoice", "pledge", "--zone", "CN-AH", "--reference", "L-1", "--require-goods"]
    run([*pledge[:2], str(invoice), *pledge[2:], "-s", "ah-bank"], env)
    status = run(["invoice", "verify", str(retyped)], env, check=False)
    assert status.returncode == 1 and "pledged by" in status.stdout
    twice = run([*pledge[:2], str(retyped), *pledge[2:], "-s", "ah-bank"], env, check=False)
    _assert_one_line_error(twice, "InvoiceAlreadyPledged")
    not_bank = run([*pledge[:2], str(retyped), *pledge[2:], "-s", "sh-node"], env, check=False)
    _assert_one_line_error(not_bank, "ZoneRoleMissing")
    run(["invoice", "release", str(invoice), "--reference", "L-1", "-s", "ah-bank"], env)
    run(
        [
            "invoice",
            "void",
            str(invoice),
            "--seller",
            "maker",
            "--reason",
            "re-issued",
            "-s",
            "sh-node",
        ],
        env,
    )
    assert "voided" in run(["invoice", "verify", str(invoice)], env, check=False).stdout
    bad = tmp_path / "bad.json"
    bad.write_text(invoice.read_text().replace("91310115660123450W", "91310115660123450X"))
    _assert_one_line_error(run(["invoice", "verify", str(bad)], env, check=False), "seller.uscc")
