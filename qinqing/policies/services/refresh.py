"""The nightly refresh: every published policy against the kept snapshot in one pass, new matches written set-based.

`match_registry` finds every (policy, enterprise, amount); what is new is found by the database, not by
Python: the matches are copied into a staging table and inserted with `ON CONFLICT DO NOTHING` into the
pushes (one per policy and enterprise) and, for 免申即享, the entitlements (one per policy, enterprise and
period: the same idempotency key as `grant`). Only the rows that were really inserted come back; their
`EntitlementGranted` events are written to the outbox in bulk, their notifications and payouts are then
made by the same services as the per-record path (`notify`, `commit_payout`: the pool never goes
negative). A repeated refresh writes nothing.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import polars as pl
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

from qinqing.accounts.models import Enterprise
from qinqing.audit.services import record_event
from qinqing.core import events
from qinqing.notifications.models import Notification
from qinqing.policies.formula import FEN
from qinqing.policies.fullmatch import match_registry
from qinqing.policies.matching import compile_version
from qinqing.policies.models import Entitlement, Policy, Push
from qinqing.policies.services.claims import _region, _tell, current_period
from qinqing.policies.services.payouts import commit_payout
from qinqing.policies.workflow import EntitlementStatus, Mode, PolicyStatus

STAGING = "policies_match_staging"
CHUNK = 10_000


@dataclass(frozen=True)
class Refreshed:
    evaluated: int
    matches: int
    pushes: int
    entitlements: int
    payouts: int


def _stage(matches: pl.DataFrame, periods: dict[int, str]) -> None:
    """The matches in a temporary table (COPY on PostgreSQL), with each policy's period and mode."""
    staged = matches.with_columns(pl.col("policy_id").replace_strict(periods, return_dtype=pl.String).alias("period"))
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {STAGING}")
        cursor.execute(f"CREATE TEMPORARY TABLE {STAGING} (policy_id BIGINT, version_id BIGINT, enterprise_id BIGINT, "
                       "fen BIGINT, period VARCHAR(16))")
        if connection.vendor == "postgresql":
            buffer = io.BytesIO()
            staged.write_csv(buffer, include_header=False)
            buffer.seek(0)
            with cursor.cursor.copy(f"COPY {STAGING} FROM STDIN (FORMAT csv)") as copy:
                while chunk := buffer.read(1 << 20):
                    copy.write(chunk)
        else:
            cursor.executemany(f"INSERT INTO {STAGING} VALUES (%s, %s, %s, %s, %s)", staged.rows())  # noqa: S608


def _money(value: Any) -> Decimal:
    return Decimal(str(value)).quantize(FEN)


def _amount(column: str) -> str:
    return f"CAST({column} AS NUMERIC) / 100" if connection.vendor == "postgresql" else f"ROUND({column} / 100.0, 2)"


def refresh_all(*, actor: Any = "policies.refresh", partitions: int = 1, part: int = 0) -> Refreshed:
    """Match every published policy in force against one partition of the registry; write what is new."""
    today = timezone.localdate()
    chosen = list(Policy.objects.filter(status=PolicyStatus.PUBLISHED, valid_from__lte=today, valid_until__gte=today,
                                        current_version__isnull=False).select_related("current_version", "region"))
    compiled = {p.pk: compile_version(p.current_version, policy=p) for p in chosen}  # type: ignore[arg-type]
    run = match_registry(list(compiled.items()), on=today, partitions=partitions, part=part)
    by_pk = {p.pk: p for p in chosen}
    periods = {pk: current_period(c.version) for pk, c in compiled.items()}
    automatic = [pk for pk, p in by_pk.items() if p.mode == Mode.AUTOMATIC]
    now = timezone.now()
    with events.atomic(), connection.cursor() as cursor:
        _stage(run.matches, periods)
        q = connection.ops.quote_name
        cursor.execute(
            f"INSERT INTO {q(Push._meta.db_table)} (policy_id, version_id, enterprise_id, amount, created_at) "  # noqa: S608
            f"SELECT policy_id, version_id, enterprise_id, {_amount('fen')}, %s FROM {STAGING} WHERE 1 = 1 "
            "ON CONFLICT DO NOTHING RETURNING policy_id, enterprise_id, amount", [now])
        pushed = [(p, e, _money(a)) for p, e, a in cursor.fetchall()]
        granted: list[tuple[Any, ...]] = []
        if automatic:
            marks = ", ".join(["%s"] * len(automatic))
            key = ("CAST(policy_id AS TEXT) || ':' || CAST(version_id AS TEXT) || ':' || CAST(enterprise_id AS TEXT) "
                   "|| ':' || period")
            cursor.execute(
                f"INSERT INTO {q(Entitlement._meta.db_table)} (key, policy_id, version_id, enterprise_id, period, "  # noqa: S608
                "amount, status, claimed, reasons, note, created_at, decided_at) "
                f"SELECT {key}, policy_id, version_id, enterprise_id, period, {_amount('fen')}, %s, %s, %s, '', %s, %s "
                f"FROM {STAGING} WHERE policy_id IN ({marks}) ON CONFLICT DO NOTHING "
                "RETURNING id, policy_id, version_id, enterprise_id, period, amount",
                [EntitlementStatus.GRANTED, False, "[]", now, now, *automatic])
            granted = [(*row[:5], _money(row[5])) for row in cursor.fetchall()]
        cursor.execute(f"DROP TABLE {STAGING}")
        firms: dict[int, Enterprise] = {}
        wanted = sorted({row[1] for row in pushed} | {row[3] for row in granted})
        for start in range(0, len(wanted), CHUNK):
            firms.update(Enterprise.objects.select_related("region").in_bulk(wanted[start:start + CHUNK]))
        for start in range(0, len(granted), CHUNK):
            events.write_many([events.EntitlementGranted(
                enterprise=firms[e].uscc, region=_region(firms[e]),
                entitlement_id=i, policy_id=p, version_id=v, period=period, amount=str(amount), mode=Mode.AUTOMATIC)
                for i, p, v, e, period, amount in granted[start:start + CHUNK]])
        for policy_id, enterprise_id, amount in pushed:
            policy = by_pk[policy_id]
            if policy.mode == Mode.AUTOMATIC:
                body = _("免申即享: %(amount)s yuan will be paid to your account on file without any application.")
            else:
                body = _("You qualify for %(amount)s yuan: claim it on the policy page.")
            _tell(firms[enterprise_id], Notification.Kind.POLICY, _("A policy for you: %(title)s") % {"title": policy.title},
                  body % {"amount": f"{amount:,.2f}"}, f"/policies/{policy.code}/")
        paid = 0
        for entitlement in Entitlement.objects.filter(pk__in=[row[0] for row in granted]).select_related("policy"):
            if commit_payout(entitlement=entitlement) is not None:
                paid += 1
        result = Refreshed(evaluated=run.evaluated, matches=run.matches.height, pushes=len(pushed),
                           entitlements=len(granted), payouts=paid)
        for policy_id in sorted({row[1] for row in granted}):  # the audit trail: one record per policy and run
            record_event(actor=actor, action="policy.refreshed", obj=by_pk[policy_id], after={
                "entitlements": sum(1 for row in granted if row[1] == policy_id),
                "pushes": sum(1 for row in pushed if row[0] == policy_id)})
    return result
