"""Reading a request body within a stated limit, before anything parses it."""

from __future__ import annotations

from fastapi import Request

from api.errors import ApiError

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
