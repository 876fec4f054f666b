"""/v1/ip: a work's registration by hash and by upload."""

from __future__ import annotations

import hashlib
import socket
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.api.conftest import (
    Served,
)
from tests.api.signin import bearer

PARTIES = ["owner", "current_owner", "history"]


def test_registered_hash_answers_when_where_and_who(served: Served) -> None:
    url = f"{served.base}/v1/ip/0x{served.registered.hex()}"
    r = httpx.get(url)
    assert r.status_code == 200
    body = r.json()
    assert body["registered"] is True
    assert body["zone"] == "CN-SH" and body["zone_name"] == "Shanghai"
    assert body["block_number"] > 0 and body["tx_hash"].startswith("0x")
    assert body["registered_at"].endswith("Z") or "+00:00" in body["registered_at"]
    # Who owns it is for the owner and courts: withheld from anyone else, saying so.
    assert [body[f] for f in PARTIES] == [None, None, None]
    assert [w["field"] for w in body["withheld"]] == PARTIES
    assert "court" in body["withheld"][0]["visible_to"]
    owner = httpx.get(url, headers=bearer(served.base, served.world.sh_enterprise)).json()
    assert owner["owner"] == served.owner.lower() and owner["withheld"] == []
    court = httpx.get(url, headers=bearer(served.base, served.world.court.signer)).json()
    assert court["current_owner"] == served.owner.lower() and court["withheld"] == []


def test_hash_without_prefix_and_in_capitals_is_accepted(served: Served) -> None:
    r = httpx.get(f"{served.base}/v1/ip/{served.registered.hex().upper()}")
    assert r.status_code == 200


def test_unknown_hash_is_404_with_error_shape(served: Served) -> None:
    unknown = "0x" + hashlib.sha256(b"never registered").hexdigest()
    r = httpx.get(f"{served.base}/v1/ip/{unknown}")
    assert r.status_code == 404
    assert r.json()["error"]["code"] == "ip_not_registered"
    assert r.json()["error"]["detail"] == {"content_hash": unknown}


@pytest.mark.parametrize("bad", ["1234", "0x" + "zz" * 32, "0x" + "ab" * 33])
def test_malformed_hash_is_422_with_error_shape(served: Served, bad: str) -> None:
    r = httpx.get(f"{served.base}/v1/ip/{bad}")
    assert r.status_code == 422
    assert r.json()["error"]["code"] == "invalid_request"


def test_uploaded_file_is_hashed_and_verified(served: Served) -> None:
    r = httpx.post(f"{served.base}/v1/ip/verify", files={"file": ("work.txt", b"api 0")})
    assert r.status_code == 200
    body = r.json()
    assert body["content_hash"] == "0x" + served.registered.hex()
    assert body["registered"] is True and body["registered_at"]
    assert body["record"] is None and [w["field"] for w in body["withheld"]] == ["record"]
    owner = httpx.post(
        f"{served.base}/v1/ip/verify",
        files={"file": ("work.txt", b"api 0")},
        headers=bearer(served.base, served.world.sh_enterprise),
    ).json()
    assert owner["record"]["zone"] == "CN-SH" and owner["record"]["owner"] == served.owner.lower()
    other = httpx.post(f"{served.base}/v1/ip/verify", files={"file": ("x.txt", b"other")})
    assert other.json() == {
        "content_hash": "0x" + hashlib.sha256(b"other").hexdigest(),
        "registered": False,
        "registered_at": None,
        "record": None,
        "withheld": [],
    }


def test_upload_without_file_is_refused(served: Served) -> None:
    r = httpx.post(f"{served.base}/v1/ip/verify")
    assert r.status_code == 415 and r.json()["error"]["code"] == "unsupported_media_type"
    other = httpx.post(f"{served.base}/v1/ip/verify", files={"work": ("x.txt", b"x")})
    assert other.status_code == 422 and other.json()["error"]["code"] == "invalid_request"
    assert "'file'" in other.json()["error"]["message"]


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def test_a_raw_upload_is_hashed_like_a_form_upload(served: Served) -> None:
    form = httpx.post(f"{served.base}/v1/ip/verify", files={"file": ("work.txt", b"api 0")})
    raw = httpx.post(
        f"{served.base}/v1/ip/verify",
        content=b"api 0",
        headers={"content-type": "application/octet-stream"},
    )
    assert raw.status_code == form.status_code == 200
    assert raw.json() == form.json()


def test_a_200_mb_upload_is_hashed_as_it_streams_with_flat_memory(served: Served) -> None:
    chunk = bytes(range(256)) * 4096  # 1 MiB
    expected = hashlib.sha256()
    for _ in range(200):
        expected.update(chunk)

    def body() -> Iterator[bytes]:
        for _ in range(200):
            yield chunk

    before = _rss_kib(served.pid)
    r = httpx.post(
        f"{served.base}/v1/ip/verify",
        content=body(),
        headers={"content-type": "application/octet-stream"},
        timeout=120,
    )
    assert r.status_code == 200, r.text
    assert r.json()["content_hash"] == "0x" + expected.hexdigest()
    grown_mib = (_rss_kib(served.pid) - before) / 1024
    assert grown_mib < 50, f"the server grew by {grown_mib:.0f} MiB for a 200 MiB upload"


def test_an_upload_declared_over_the_limit_is_413_before_it_is_read(served: Served) -> None:
    host, port = served.base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as conn:
        conn.sendall(
            b"POST /v1/ip/verify HTTP/1.1\r\nHost: x\r\n"
            b"Content-Type: application/octet-stream\r\n"
            + f"Content-Length: {1 << 40}\r\n\r\n".encode()
            + b"x" * 1024
        )
        received = b""
        while b"\r\n\r\n" not in received or not received.endswith(b"}"):
            chunk = conn.recv(65536)  # the head and the body may come in separate segments
            if not chunk:
                break
            received += chunk
        answer = received.decode(errors="replace")
    assert answer.startswith("HTTP/1.1 413"), answer[:200]
    assert "payload_too_large" in answer
