"""Every Solidity enum the contracts declare, mirrored once.

Member values are the ``uint8`` the chain stores and logs. ``tests/contracts/test_enums.py``
checks each mirror against the compiler's AST (names and order), so a contract change that
adds or reorders a member fails the suite until this module follows.
"""

from __future__ import annotations

from enum import IntEnum


class LotState(IntEnum):
    """``ICustody.LotState``."""

    NONE = 0
    HELD = 1
    IN_TRANSIT = 2


class ConsignmentState(IntEnum):
    """``ICustody.ConsignmentState``."""

    NONE = 0
    IN_TRANSIT = 1
    RECEIVED = 2


class Rule(IntEnum):
    """``ICustoms.Rule``: what clearance needs, 一单两检 (both zones) or one zone's inspection."""

    NONE = 0
    BOTH_ZONES = 1
    ORIGIN_ONLY = 2
    DESTINATION_ONLY = 3


class Result(IntEnum):
    """``ICustoms.Result``."""

    NONE = 0
    PASSED = 1
    FAILED = 2


class GovernanceAction(IntEnum):
    """``IGovernance.Action``."""

    ADMIT_ZONE = 0
    SUSPEND_ZONE = 1
    REINSTATE_ZONE = 2
    BIND_ENTERPRISE = 3
    UNBIND_ENTERPRISE = 4
    GRANT_ROLE = 5
    REVOKE_ROLE = 6
    ADD_MEMBER = 7
    REMOVE_MEMBER = 8
    SET_THRESHOLD = 9


class ZoneStatus(IntEnum):
    """``IGovernance.ZoneStatus``."""

    NONE = 0
    ACTIVE = 1
    SUSPENDED = 2


class InvoiceStatus(IntEnum):
    """``IInvoiceRegistry.Status``."""

    NONE = 0
    ISSUED = 1
    VOIDED = 2
    CREDITED = 3
    PAID = 4


class InvoiceAction(IntEnum):
    """``IInvoiceRegistry.Action``."""

    NONE = 0
    VOID = 1
    CREDIT_NOTE = 2
    PAID = 3


class CertificateStatus(IntEnum):
    """``IOriginCertificates.Status``."""

    NONE = 0
    VALID = 1
    REVOKED = 2
    SUPERSEDED = 3


# Solidity canonical name → its mirror (the AST test walks this).
SOLIDITY_ENUMS: dict[str, type[IntEnum]] = {
    "ICustody.LotState": LotState,
    "ICustody.ConsignmentState": ConsignmentState,
    "ICustoms.Rule": Rule,
    "ICustoms.Result": Result,
    "IGovernance.Action": GovernanceAction,
    "IGovernance.ZoneStatus": ZoneStatus,
    "IInvoiceRegistry.Status": InvoiceStatus,
    "IInvoiceRegistry.Action": InvoiceAction,
    "IOriginCertificates.Status": CertificateStatus,
}


def enum_name(kind: type[IntEnum], value: int) -> str:
    """``snake_case`` member name of ``value``, or the number itself when unknown."""
    try:
        return kind(value).name.lower()
    except ValueError:
        return str(value)
