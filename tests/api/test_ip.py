"""/v1/ip: a work's registration by hash and by upload."""

from __future__ import annotations

import hashlib

import httpx
import pytest

from tests.api.conftest import (
    Served,
)


def test_registered_hash_answers_when_where_and_who(served: Served) -> None:
    r = httpx.get(f"{served.base}/v1/ip/0x{served.registered.hex()}")
    assert r.status_code == 200
    body = r.json()
    assert body["registered"] is True
    assert body["zone"] == "CN-SH" and body["zone_name"] == "Shanghai"
    assert body["owner"] == served.owner.lower()
    assert body["block_number"] > 0 and body["tx_hash"].startswith("0x")
    assert body["registered_at"].endswith("Z") or "+00:00" in body["registered_at"]


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
    assert body["registered"] is True and body["record"]["zone"] == "CN-SH"
    other = httpx.post(f"{served.base}/v1/ip/verify", files={"file": ("x.txt", b"other")})
    assert other.json() == {
        "content_hash": "0x" + hashlib.sha256(b"other").hexdigest(),
        "registered": False,
        "record": None,
    }


def test_upload_without_file_is_422(served: Served) -> None:
    r = httpx.post(f"{served.base}/v1/ip/verify")
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_request"
