"""Public licence verification: only what is signed is shown, and any failed check makes it invalid.

The facts a verifier sees (holder, code, title, issuer, dates, the matter's fields) come from the signed
payload, never from the table's columns. The headline is `valid` only when every check passes: the
Ed25519 signature over the payload, the signature carried by the QR code (when the page was opened
from one), the row agreeing with what was signed (a row whose columns were changed after signing, or
a payload copied onto another number, is not trusted), not revoked and not past its signed expiry.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import unicodedata
from typing import Any

from django.utils import timezone

from qinqing.cases.models import Licence
from qinqing.cases.signing import verify

logger = logging.getLogger(__name__)

NUMBER = re.compile(r"[A-Z0-9][A-Z0-9-]{0,39}")
_DASHES = dict.fromkeys(map(ord, "‐‑‒–—―−﹣－"), "-")

# Why a licence is not valid, most serious first (the API's `problems`, translated on the page).
SIGNATURE, QR, RECORD_ALTERED, REVOKED, EXPIRED = "signature", "qr", "record_altered", "revoked", "expired"


def normalise_licence_number(raw: str | None) -> str:
    """A licence number as people type or paste it: NFKC (full-width → ASCII), dashes, invisibles, strip, upper."""
    text = unicodedata.normalize("NFKC", raw or "").translate(_DASHES)
    text = "".join(ch for ch in text if unicodedata.category(ch) not in ("Cf", "Cc") or ch.isspace())
    return text.strip().upper()


def _date(value: Any) -> dt.date | None:
    return dt.date.fromisoformat(value) if isinstance(value, str) and value else None


def _datetime(value: Any) -> dt.datetime:
    if not isinstance(value, str):
        raise ValueError("issued_at")
    parsed = dt.datetime.fromisoformat(value)
    if timezone.is_naive(parsed):
        raise ValueError("issued_at")
    return parsed


def signed_facts(payload: Any) -> dict[str, Any]:
    """The facts of a signed payload, typed; ValueError when the payload does not have the licence's shape."""
    if not isinstance(payload, dict):
        raise ValueError("payload")
    text = {key: payload.get(key) for key in ("number", "title", "holder", "uscc", "matter", "matter_name",
                                              "issuer", "case")}
    if not all(isinstance(value, str) for value in text.values()):
        raise ValueError("payload")
    fields = payload.get("fields") or []
    if not isinstance(fields, list):
        raise ValueError("fields")
    return {
        **text,
        "issued_at": _datetime(payload.get("issued_at")),
        "valid_until": _date(payload.get("valid_until")),
        "fields": [{"key": str(f.get("key", "")), "label": str(f.get("label", "")), "value": str(f.get("value", ""))}
                   for f in fields if isinstance(f, dict)],
    }


def discrepancies(licence: Licence, facts: dict[str, Any]) -> list[str]:
    """The row's columns that differ from what was signed (each one a sign the row was changed)."""
    row = {
        "number": licence.number, "holder": licence.holder_name, "title": licence.title,
        "uscc": licence.enterprise.uscc, "matter": licence.matter.code, "valid_until": licence.valid_until,
        "issued_at": licence.issued_at.replace(microsecond=0),
    }
    signed = {**{key: facts[key] for key in row}, "issued_at": facts["issued_at"].replace(microsecond=0)}
    return [key for key in row if row[key] != signed[key]]


def verify_licence(raw_number: str, *, qr_signature: str | None = None) -> dict[str, Any]:
    """Verify a licence by number (and the QR code's signature, if given): status, problems, signed facts."""
    number = normalise_licence_number(raw_number)[:40]
    if not NUMBER.fullmatch(number):
        return {"number": number, "status": "unknown", "valid": False, "problems": []}
    licence = Licence.objects.select_related("matter", "enterprise").filter(number=number).first()
    if licence is None:
        return {"number": number, "status": "unknown", "valid": False, "problems": []}
    problems: list[str] = []
    facts: dict[str, Any] | None = None
    altered: list[str] = []
    signature_valid = verify(licence.payload, licence.signature)
    if signature_valid:
        try:
            facts = signed_facts(licence.payload)
        except ValueError:
            signature_valid = False
    if not signature_valid:
        problems.append(SIGNATURE)
    qr_valid = None if qr_signature is None else qr_signature == licence.signature
    if qr_valid is False:
        problems.append(QR)
    if facts is not None:
        altered = discrepancies(licence, facts)
        if altered:
            problems.append(RECORD_ALTERED)
            logger.warning("licence %s: the row differs from its signed payload in %s", number, ", ".join(altered))
    if licence.status == Licence.Status.REVOKED:
        problems.append(REVOKED)
    valid_until = facts["valid_until"] if facts is not None else None
    if valid_until is not None and timezone.localdate() > valid_until:
        problems.append(EXPIRED)
    status = "valid"
    if problems:
        status = problems[0] if problems[0] in (REVOKED, EXPIRED) else "invalid"
    result: dict[str, Any] = {
        "number": number, "status": status, "valid": not problems, "problems": problems,
        "signature_valid": signature_valid, "qr_valid": qr_valid, "discrepancies": altered,
        "revoked_at": licence.revoked_at if licence.status == Licence.Status.REVOKED else None,
    }
    if facts is not None:  # only what the signature covers; nothing at all when it does not verify
        result.update({key: facts[key] for key in ("holder", "uscc", "title", "matter", "matter_name", "issuer",
                                                  "issued_at", "valid_until", "fields")})
        result.update({"payload": licence.payload, "signature": licence.signature})
    return result
