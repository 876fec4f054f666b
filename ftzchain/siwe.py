"""Sign-In with Ethereum (EIP-4361): the message grammar, its text form, and verification.

The grammar is the EIP's ABNF, parsed by the ``abnf`` library with RFC 3986 (URIs,
authorities) and RFC 3339 (date-times) from its collection. The ``siwe`` package does the
same but pins web3 < 8 and eth-account < 0.14, which this project is past; it is tested here
against that project's published parsing and verification vectors
(tests/data/siwe-vectors/).

A message is signed as an EIP-191 ``personal_sign`` of its exact text. Verification checks,
besides the signature: the domain the server expects, its chain id, the single-use nonce it
handed out, and the times (issued at, expiration, not before) against the server's clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import ClassVar

from abnf.grammars import rfc3339, rfc3986
from abnf.grammars.misc import load_grammar_rules
from abnf.parser import Node, ParseError
from abnf.parser import Rule as _Rule
from eth_account import Account
from eth_account.messages import encode_defunct
from eth_keys.exceptions import BadSignature
from eth_utils.address import is_checksum_address

from ftzchain.errors import InvalidInput

PREAMBLE = " wants you to sign in with your Ethereum account:"


@load_grammar_rules(
    [
        ("authority", rfc3986.Rule("authority")),
        ("URI", rfc3986.Rule("URI")),  # the EIP's "uri = URI" is this rule (ABNF ignores case)
        ("reserved", rfc3986.Rule("reserved")),
        ("unreserved", rfc3986.Rule("unreserved")),
        ("pchar", rfc3986.Rule("pchar")),
        ("date-time", rfc3339.Rule("date-time")),
    ]
)
class _Grammar(_Rule):
    """EIP-4361's ABNF (statement: at least one character when present)."""

    grammar: ClassVar[list[str] | str] = [
        'sign-in-with-ethereum = [ scheme "://" ] domain %s" wants you to sign in with your '
        'Ethereum account:" LF address LF LF [ statement LF ] LF %s"URI: " uri LF '
        '%s"Version: " version LF %s"Chain ID: " chain-id LF %s"Nonce: " nonce LF '
        '%s"Issued At: " issued-at [ LF %s"Expiration Time: " expiration-time ] '
        '[ LF %s"Not Before: " not-before ] [ LF %s"Request ID: " request-id ] '
        '[ LF %s"Resources:" resources ]',
        'scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )',
        "domain = authority",
        'address = "0x" 40HEXDIG',
        'statement = 1*( reserved / unreserved / " " )',
        'version = "1"',
        "chain-id = 1*DIGIT",
        "nonce = 8*( ALPHA / DIGIT )",
        "issued-at = date-time",
        "expiration-time = date-time",
        "not-before = date-time",
        "request-id = *pchar",
        "resources = *( LF resource )",
        'resource = "- " URI',
    ]


class SiweError(InvalidInput):
    """A sign-in message that is malformed, or not valid for this server now."""

    def __init__(self, reason: str, detail: str) -> None:
        self.reason = reason  # a stable code: malformed, domain, uri, chain, nonce, …
        super().__init__(detail)


@dataclass(frozen=True)
class SiweMessage:
    domain: str
    address: str
    uri: str
    version: str
    chain_id: int
    nonce: str
    issued_at: str
    scheme: str | None = None
    statement: str | None = None
    expiration_time: str | None = None
    not_before: str | None = None
    request_id: str | None = None
    resources: list[str] = field(default_factory=list)

    def text(self) -> str:
        """The message as the EIP lays it out: what the wallet shows and signs."""
        origin = f"{self.scheme}://{self.domain}" if self.scheme else self.domain
        lines = [origin + PREAMBLE, self.address, ""]
        if self.statement is not None:
            lines.append(self.statement)
        lines += [
            "",
            f"URI: {self.uri}",
            f"Version: {self.version}",
            f"Chain ID: {self.chain_id}",
            f"Nonce: {self.nonce}",
            f"Issued At: {self.issued_at}",
        ]
        for label, value in (
            ("Expiration Time", self.expiration_time),
            ("Not Before", self.not_before),
            ("Request ID", self.request_id),
        ):
            if value is not None:
                lines.append(f"{label}: {value}")
        if self.resources:
            lines.append("Resources:")
            lines += [f"- {r}" for r in self.resources]
        return "\n".join(lines)


_FIELDS = {
    "scheme": "scheme",
    "domain": "domain",
    "address": "address",
    "statement": "statement",
    "uri": "uri",  # the message's URI as abnf names it (a resource's: under "resources")
    "version": "version",
    "chain-id": "chain_id",
    "nonce": "nonce",
    "issued-at": "issued_at",
    "expiration-time": "expiration_time",
    "not-before": "not_before",
    "request-id": "request_id",
}

MAX_MESSAGE_CHARS = 4096
CLOCK_SKEW = timedelta(minutes=1)


def parse(text: str) -> SiweMessage:
    """Parse an EIP-4361 message; SiweError("malformed", …) naming what is wrong."""
    if len(text) > MAX_MESSAGE_CHARS:
        raise SiweError("malformed", f"a sign-in message is at most {MAX_MESSAGE_CHARS} chars")
    try:
        tree = _Grammar("sign-in-with-ethereum").parse_all(text)
    except ParseError as exc:
        raise SiweError(
            "malformed", f"not an EIP-4361 message (parse stopped at character {exc.start})"
        ) from None
    values: dict[str, object] = {}
    resources: list[str] = []
    for node in tree.children:
        _collect(node, values, resources)
    if not values.get("domain"):  # RFC 3986 allows an empty authority; a sign-in does not
        raise SiweError("malformed", "the message names no domain")
    address = str(values.get("address", ""))
    if not is_checksum_address(address):
        raise SiweError("malformed", f"the address {address} is not in EIP-55 checksum case")
    for name in ("issued_at", "expiration_time", "not_before"):
        if name in values:
            _time(str(values[name]), name)
    values["chain_id"] = int(str(values["chain_id"]))
    return SiweMessage(**values, resources=resources)  # type: ignore[arg-type]


def _collect(node: Node, values: dict[str, object], resources: list[str]) -> None:
    if node.name in _FIELDS:
        values[_FIELDS[node.name]] = node.value
    elif node.name == "resources":
        for child in node.children:
            if child.name == "resource":
                resources.append(child.value[2:])
    else:
        for child in node.children:
            _collect(child, values, resources)


def _time(value: str, name: str) -> datetime:
    try:
        when = datetime.fromisoformat(value.replace("z", "Z"))
    except ValueError:
        raise SiweError("malformed", f"{name.replace('_', ' ')} {value} is not a date") from None
    if when.tzinfo is None:
        raise SiweError("malformed", f"{name.replace('_', ' ')} {value} has no time zone")
    return when


def recover(message: SiweMessage, signature: bytes) -> str:
    """The address that signed the message's text (EIP-191 personal_sign)."""
    if len(signature) != 65:
        raise SiweError("signature", f"the signature is {len(signature)} bytes, not 65")
    if signature[64] < 27:  # some wallets give the recovery id as 0/1
        signature = signature[:64] + bytes([signature[64] + 27])
    try:
        return str(
            Account.recover_message(encode_defunct(text=message.text()), signature=signature)
        )
    except (ValueError, TypeError, BadSignature) as exc:
        raise SiweError("signature", f"the signature does not recover: {exc}") from None


def verify(
    message: SiweMessage,
    signature: bytes,
    *,
    domain: str,
    chain_id: int | None = None,
    nonce: str | None = None,
    now: datetime | None = None,
    max_age: timedelta | None = None,
) -> str:
    """Check the message is for this server now and signed by its address; returns it.

    ``domain``: the authority the server answers at (host[:port]); ``nonce``: the one the
    server handed out (single use is the caller's to enforce); ``max_age``: how old the
    issued-at time may be (and it may not be ahead of ``now`` by more than CLOCK_SKEW).
    """
    now = now or datetime.now(UTC)
    if message.domain != domain:
        raise SiweError("domain", f"the message is for {message.domain}, this is {domain}")
    if chain_id is not None and message.chain_id != chain_id:
        raise SiweError("chain", f"the message is for chain {message.chain_id}, not {chain_id}")
    if nonce is not None and message.nonce != nonce:
        raise SiweError("nonce", "the message's nonce is not the one handed out")
    issued = _time(message.issued_at, "issued_at")
    if max_age is not None:  # the server's policy; the EIP leaves issued-at unchecked
        if issued > now + CLOCK_SKEW:
            raise SiweError("time", f"issued at {message.issued_at}: in the future")
        if issued < now - max_age:
            raise SiweError("time", f"issued at {message.issued_at}: older than {max_age}")
    if message.expiration_time and _time(message.expiration_time, "expiration_time") <= now:
        raise SiweError("expired", f"the message expired at {message.expiration_time}")
    if message.not_before and _time(message.not_before, "not_before") > now:
        raise SiweError("time", f"the message is not valid before {message.not_before}")
    signer = recover(message, signature)
    if signer.lower() != message.address.lower():
        raise SiweError("signature", f"signed by {signer}, not by {message.address}")
    return message.address
