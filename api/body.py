"""Reading a request body within a stated limit, before anything parses it."""

from __future__ import annotations

import hashlib
from typing import Any, TypeVar

from fastapi import Request
from pydantic import BaseModel, ValidationError
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header

from api.errors import ApiError
from ftzchain.boundedjson import loads_bounded
from ftzchain.epcis.document import MAX_DEPTH
from ftzchain.errors import InvalidInput

_M = TypeVar("_M", bound=BaseModel)


def parse_json(model: type[_M], raw: bytes, max_bytes: int) -> _M:
    """A JSON body read within bounds (size, depth) into ``model``; 422 naming the field."""
    data = loads_bounded(
        raw, max_bytes=max_bytes, max_depth=MAX_DEPTH, what="the request", fail=InvalidInput
    )
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        raise InvalidInput(f"{where}: {first.get('msg')}") from None


def json_body(model: type[BaseModel], description: str) -> dict[str, Any]:
    """``openapi_extra`` declaring a JSON body of ``model`` for an endpoint that reads its
    body itself (with :func:`read_body` and :func:`parse_json`)."""
    return {
        "requestBody": {
            "required": True,
            "description": description,
            "content": {"application/json": {"schema": model.model_json_schema()}},
        }
    }


JSON_TYPES = ("application/json", "application/ld+json")


def require_content_type(request: Request, accepted: tuple[str, ...]) -> None:
    """415 unless the body is declared as one of ``accepted``."""
    declared = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if declared not in accepted:
        raise ApiError(
            415,
            "unsupported_media_type",
            f"send the body as {' or '.join(accepted)} (got {declared or 'no content type'})",
        )


async def read_body(request: Request, limit: int) -> bytes:
    """The raw body, refused with 413 as soon as it is known to exceed ``limit`` bytes (by its
    Content-Length, or while it streams in), so an oversized body is never held whole."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    received = bytearray()
    async for chunk in request.stream():
        received += chunk
        if len(received) > limit:
            raise _too_large(limit)
    return bytes(received)


def _too_large(limit: int) -> ApiError:
    return ApiError(413, "payload_too_large", f"the body is larger than {limit:,} bytes: split it")


class _FilePartHasher:
    """Callbacks for python-multipart's streaming parser: SHA-256 of the part named
    ``field`` as it streams past; nothing of it is kept."""

    def __init__(self, field: str) -> None:
        self.field = field.encode()
        self.digest = hashlib.sha256()
        self.found = False
        self._in_field = False
        self._header_name = b""
        self._header_value = b""

    def on_part_begin(self) -> None:
        self._in_field = False

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def on_header_end(self) -> None:
        if self._header_name.lower() == b"content-disposition":
            _, options = parse_options_header(self._header_value)
            if options.get(b"name") == self.field:
                self._in_field = self.found = True
        self._header_name = self._header_value = b""

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self._in_field:
            self.digest.update(data[start:end])


async def sha256_of_upload(request: Request, field: str, limit: int) -> bytes:
    """SHA-256 of an uploaded file as it streams in: the ``field`` part of a
    ``multipart/form-data`` body, or a raw ``application/octet-stream`` body. Memory stays
    flat whatever the size; past ``limit`` bytes the upload is refused with 413."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    kind, options = parse_options_header(request.headers.get("content-type", ""))
    received = 0
    if kind == b"application/octet-stream":
        digest = hashlib.sha256()
        async for chunk in request.stream():
            received += len(chunk)
            if received > limit:
                raise _too_large(limit)
            digest.update(chunk)
        return digest.digest()
    if kind != b"multipart/form-data" or b"boundary" not in options:
        raise ApiError(
            415,
            "unsupported_media_type",
            f"upload the work as multipart/form-data (field {field!r}) or application/octet-stream",
        )
    hasher = _FilePartHasher(field)
    parser = MultipartParser(options[b"boundary"], _callbacks(hasher))  # type: ignore[arg-type]
    try:
        async for chunk in request.stream():
            received += len(chunk)
            if received > limit:
                raise _too_large(limit)
            parser.write(chunk)
        parser.finalize()
    except MultipartParseError as exc:
        raise ApiError(422, "invalid_request", f"the multipart body is malformed: {exc}") from None
    if not hasher.found:
        raise ApiError(422, "invalid_request", f"the multipart body has no {field!r} part")
    return hasher.digest.digest()


def _callbacks(hasher: _FilePartHasher) -> dict[str, Any]:
    return {
        name: getattr(hasher, name)
        for name in (
            "on_part_begin",
            "on_header_field",
            "on_header_value",
            "on_header_end",
            "on_part_data",
        )
    }
