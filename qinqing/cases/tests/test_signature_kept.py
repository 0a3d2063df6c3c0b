"""A licence signature by the current key is verified once per process, never for a changed payload."""

from __future__ import annotations

from unittest import mock

from qinqing.cases import signing


def test_a_good_signature_is_verified_once_and_then_kept():
    payload = {"number": "SCJG-2026-KEPT01", "uscc": "91330108MA27XXXX0X", "matter": "SCJG-002", "名": "亲清"}
    signature = signing.sign(payload)
    assert signing.verify_kept(payload, signature)
    with mock.patch.object(signing, "_private_key", side_effect=AssertionError("verified again")):
        assert signing.verify_kept(dict(payload), signature), "the same signed bytes: kept"


def test_a_changed_payload_or_signature_is_checked_afresh_and_refused():
    payload = {"number": "SCJG-2026-KEPT02", "uscc": "91330108MA27XXXX0X", "matter": "SCJG-002"}
    signature = signing.sign(payload)
    assert signing.verify_kept(payload, signature)
    assert not signing.verify_kept({**payload, "matter": "SCJG-001"}, signature)
    assert not signing.verify_kept(payload, signature[:-2] + ("AA" if signature[-2:] != "AA" else "BB"))
    assert not signing.verify_kept(payload, "not base64!")
