"""Reading a log's topics and data words: the helpers every decoder shares (pure)."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache

from eth_utils.crypto import keccak

from ftzchain.domain import zone_code
from indexer.decode.records import LogPosition, MalformedLog, RawLog


def words(log: RawLog, count: int) -> list[bytes]:
    """The data's static 32-byte words (every field of our events is a static type)."""
    data = bytes.fromhex(log.data[2:])
    if len(data) != 32 * count:
        raise MalformedLog(f"expected {count} data words, got {len(data)} bytes")
    return [data[i : i + 32] for i in range(0, len(data), 32)]


def words_prefix(log: RawLog, count: int) -> list[bytes]:
    """The first ``count`` head words of data that also holds dynamic values."""
    data = bytes.fromhex(log.data[2:])
    if len(data) < 32 * count:
        raise MalformedLog(f"expected at least {count} data words, got {len(data)} bytes")
    return [data[i : i + 32] for i in range(0, 32 * count, 32)]


def uint(word: bytes) -> int:
    return int.from_bytes(word, "big")


def addr_word(word: bytes) -> str:
    return "0x" + word[12:].hex()


def topic_of(signature: str) -> str:
    return "0x" + keccak(text=signature).hex()


def hex32(raw: bytes) -> str:
    return "0x" + raw.hex()


def addr_topic(topic: str) -> str:
    return "0x" + topic[-40:]


def b32_topic(topic: str) -> bytes:
    return bytes.fromhex(topic[2:])


@lru_cache(maxsize=4096)
def zone_topic(topic: str) -> str:
    return zone_code(bytes.fromhex(topic[2:]))


@lru_cache(maxsize=4096)
def utc(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def position(log: RawLog, chain_id: int) -> LogPosition:
    return LogPosition(
        chain_id,
        int(log.blockNumber, 16),
        log.blockHash.lower(),
        log.transactionHash.lower(),
        int(log.logIndex, 16),
        log.address.lower(),
    )


def hex_data(log: RawLog, words: int) -> str:
    """The data as lowercase ``0x`` hex of exactly ``words`` static words: the hot path slices
    fields out of the hex text instead of converting it to bytes and back."""
    data = log.data.lower()
    if len(data) != 2 + 64 * words or not data.startswith("0x"):
        raise MalformedLog(f"expected {words} data words, got {(len(data) - 2) / 64:g}")
    return data


def word_array(data: bytes, offset: int) -> list[str]:
    if offset + 32 > len(data):
        raise MalformedLog("array offset past the data")
    count = int.from_bytes(data[offset : offset + 32], "big")
    start = offset + 32
    if start + 32 * count > len(data):
        raise MalformedLog("array runs past the data")
    return ["0x" + data[start + 32 * i : start + 32 * (i + 1)].hex() for i in range(count)]
