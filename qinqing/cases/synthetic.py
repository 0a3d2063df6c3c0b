"""A synthetic case history at a province's scale: a million cases with their timelines and licences.

`generate_history` spreads cases over the demo enterprises and the synthetic city's enterprises (made
with `gencity`'s builder when fewer exist than asked), over `years` years with more cases in recent
months, on working days and office hours. Each batch is one transaction written with COPY on
PostgreSQL and `executemany` on SQLite. Statuses follow from the dates: automatic decisions (matters
with a rule set) approve at once; reviewed cases take a share of their promised limit, some after a
supplement request, and the ones whose decision would lie in the future are still open (submitted,
under review or waiting for a supplement). Approved cases of matters that issue a document get a
licence signed with the platform's Ed25519 key exactly as `issue_licence` signs it (the payload
carries no form fields: synthetic cases have no form data). Every case carries `synthetic=True`;
`clear_history` removes those cases with their timelines and licences, and nothing else.

The domain events the case services emit are written with each batch, in its transaction (multi-row
INSERTs into the outbox): `CaseSubmitted` for every case, `CaseDecided` for an approval or a rejection
(`automatic` for a 秒办 approval) and `CaseClosed` for every closed case, so the outbox consumers (the
street cockpit's cases handled and 秒办 share, the home page's counters) count the history as they count
real cases (`HistoryPlan.emit_events=False` leaves them out, for a benchmark of the tables alone).

Not written, on purpose: per-case audit records (one audit record per run says what was generated),
materials, notifications, and `LicenceIssued` with the shared-data copies of the licences it makes.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.db import connection
from django.utils import timezone

from qinqing.accounts.models import Enterprise, User
from qinqing.audit.services import record_event
from qinqing.cases.models import Case, CaseEvent, Licence
from qinqing.cases.signing import sign
from qinqing.cases.workflow import Status
from qinqing.catalog.models import Matter
from qinqing.core import events
from qinqing.core.calendar import add_limit
from qinqing.core.events import CaseClosed, CaseDecided, CaseSubmitted, DomainEvent, Subject
from qinqing.datahub.bulk import cyclic_gc_paused
from qinqing.datahub.synthetic.city import CityPlan, generate_city, write_rows

SYNTHETIC_APPLICANT = "synthetic-applicant"
_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
# Odd multipliers: i → (a·i + b) mod 2ᵏ is a bijection, so numbers never repeat within a history.
_NUMBER_STRIDE = 2_654_435_761
_LICENCE_STRIDE = 0x9E3779B97F
CASE_COLUMNS = (
    "id", "number", "acting_for", "status", "data", "prefill_sources", "verdict", "decided_automatically",
    "decision_note", "submitted_at", "due_at", "statutory_due_at", "paused_at", "decided_at", "idempotency_key",
    "request_fingerprint", "applicant_id", "enterprise_id", "matter_id", "rule_set_version_id", "bundle_code",
    "parent_id", "step_key", "title", "synthetic",
)
EVENT_COLUMNS = ("case_id", "at", "actor_id", "actor_label", "acting_for", "action", "from_status", "to_status", "note")
LICENCE_COLUMNS = ("number", "case_id", "enterprise_id", "matter_id", "title", "holder_name", "issued_at",
                   "valid_until", "status", "revoked_at", "revoke_reason", "payload", "signature")
OPEN_MIX = ((Status.UNDER_REVIEW, 0.85), (Status.SUBMITTED, 0.15))  # an open case no rule set referred
# Of the reviewed cases: the decision, and how many needed a supplement (补正) first.
REVIEW_OUTCOMES = ((Status.APPROVED, 0.84), (Status.REJECTED, 0.09), (Status.WITHDRAWN, 0.07))
SUPPLEMENT_SHARE = 0.12
AUTO_SHARE = 0.65  # of the cases of a matter with automatic rules, approved at submission
DEMO_SHARE = 0.03  # of the cases, spread over the demo enterprises (their accounts see a long history)


@dataclass(frozen=True)
class HistoryPlan:
    cases: int
    enterprises: int = 100_000
    seed: int = 2026
    batch: int = 20_000
    years: int = 3
    sign_share: float = 1.0  # licences signed; the rest carry no signature and fail verification
    emit_events: bool = True  # the case services' domain events, for the outbox consumers
    # Of the cases, the share spread over the demo enterprises (the named accounts people log in with). The dense
    # demo gives them none: a demo account must be able to apply for any matter, not find it already held.
    demo_share: float = DEMO_SHARE


@dataclass(frozen=True)
class MatterInfo:
    id: int
    code: str
    name: str
    department_code: str
    department_name: str
    licence_name: str
    valid_years: int
    rule_version_id: int | None
    promised: tuple[int, str]
    statutory: tuple[int, str]
    reviewer_id: int | None


@dataclass
class HistoryBatch:
    cases: list[tuple[Any, ...]]
    events: list[tuple[Any, ...]]
    licences: list[tuple[Any, ...]]
    domain: list[DomainEvent]


def _matters() -> list[MatterInfo]:
    reviewers: dict[int, int] = {}
    for user_id, department_id, roles in User.objects.filter(kind=User.Kind.STAFF, department__isnull=False,
                                                             is_active=True).values_list("id", "department_id",
                                                                                         "roles").order_by("id"):
        if "reviewer" in (roles or []):
            reviewers.setdefault(department_id, user_id)
    out = []
    for m in Matter.objects.filter(active=True).select_related("department", "rule_set").order_by("code"):
        version = None
        if m.rule_set_id is not None and m.rule_set is not None:
            current = getattr(m.rule_set, "current_version", None)
            version = current() if callable(current) else current
        out.append(MatterInfo(
            m.pk, m.code, m.name, m.department.code, m.department.name, m.licence_name or "",
            m.licence_valid_years or 0, getattr(version, "pk", None), (m.promised_limit, m.promised_unit),
            (m.statutory_limit, m.statutory_unit), reviewers.get(m.department_id)))
    if not out:
        raise ValueError("the catalogue holds no online matters: run loaddemo (or loadcatalog) first")
    return out


def _applicant() -> int:
    """The one applicant account of the synthetic enterprises' cases: inactive, no roles, sees nothing."""
    user, _ = User.objects.get_or_create(
        username=SYNTHETIC_APPLICANT,
        defaults={"kind": User.Kind.STAFF, "is_active": False, "display_name": "合成数据申请人", "roles": []})
    return int(user.pk)


class HistoryBuilder:
    """Turn numpy draws into one batch of cases, timeline events and licences."""

    def __init__(self, plan: HistoryPlan, now: dt.datetime, start: int) -> None:
        self.plan, self.now, self.start = plan, now, start
        self.pg = connection.vendor == "postgresql"
        self.matters = _matters()
        zipf = 1.0 / np.arange(1, len(self.matters) + 1) ** 0.8
        self.matter_weights = zipf / zipf.sum()
        # (id, USCC, name, region code): the region is the events' subject, as `about(enterprise)` gives it.
        fields = ("id", "uscc", "name", "region__code")
        self.synthetic = [(*row[:3], row[3] or "") for row in
                          Enterprise.objects.filter(synthetic=True).order_by("id").values_list(*fields)]
        self.demo = [(*row[:3], row[3] or "") for row in
                     Enterprise.objects.filter(synthetic=False).order_by("id").values_list(*fields)]
        owners = dict(User.objects.filter(kind=User.Kind.ENTERPRISE, enterprise__isnull=False, is_active=True)
                      .order_by("-id").values_list("enterprise_id", "id"))
        self.demo_applicants = [owners.get(e[0]) for e in self.demo]
        self.applicant = _applicant()
        self.salt = (plan.seed * 1_000_003) % (1 << 32)
        self.span_days = plan.years * 365

    def _at(self, moment: dt.datetime) -> Any:
        return moment if self.pg else connection.ops.adapt_datetimefield_value(moment)

    @functools.lru_cache(maxsize=200_000)  # noqa: B019 — one builder per run
    def _limit(self, day: dt.date, amount: int, unit: str) -> dt.timedelta:
        start = timezone.make_aware(dt.datetime.combine(day, dt.time()))
        return add_limit(start, amount, unit) - start

    def batch(self, number: int, size: int, first_id: int) -> HistoryBatch:
        rng = np.random.default_rng([self.plan.seed, self.start, number])
        # More cases in recent months (linear growth), on working days, in office hours; in arrival order over the
        # run (oldest first), as a real table fills, so a day's cases sit together on disk as they would.
        first = number * self.plan.batch
        arrival = (first + np.arange(size) + rng.random(size)) / max(self.plan.cases, 1)
        back = (self.span_days * (1.0 - np.sqrt(np.clip(arrival, 0.0, 1.0)))).astype(int)
        hour = np.clip(rng.normal(10.5, 2.6, size), 0.0, 23.99)
        matter = rng.choice(len(self.matters), size=size, p=self.matter_weights).tolist()
        on_demo = (rng.random(size) < self.plan.demo_share) if self.demo else np.zeros(size, dtype=bool)
        who = rng.integers(0, max(len(self.synthetic), 1), size).tolist()
        who_demo = rng.integers(0, max(len(self.demo), 1), size).tolist()
        auto = rng.random(size).tolist()
        share = rng.beta(2.0, 3.5, size).tolist()
        outcome = rng.random(size).tolist()
        supplement = rng.random(size).tolist()
        open_draw = rng.random(size).tolist()
        sign_draw = rng.random(size).tolist()
        out = HistoryBatch([], [], [], [])
        today = timezone.localdate(self.now)
        for i in range(size):
            day = today - dt.timedelta(days=int(back[i]))
            while day.weekday() >= 5 and outcome[i] < 0.9:  # a few weekend submissions, most on working days
                day -= dt.timedelta(days=1)
            submitted = timezone.make_aware(dt.datetime.combine(day, dt.time())) + dt.timedelta(hours=float(hour[i]))
            if submitted >= self.now:
                submitted = self.now - dt.timedelta(minutes=5 + i % 600)
            index = self.start + number * self.plan.batch + i
            if on_demo[i]:
                enterprise, applicant = self.demo[who_demo[i]], self.demo_applicants[who_demo[i]] or self.applicant
            else:
                enterprise, applicant = self.synthetic[who[i]] if self.synthetic else self.demo[who_demo[i]], self.applicant
            self._case(out, self.matters[matter[i]], enterprise, applicant, first_id + i, index, submitted,
                       auto[i], share[i], outcome[i], supplement[i], open_draw[i], sign_draw[i])
        return out

    def _case(self, out: HistoryBatch, m: MatterInfo, enterprise: tuple[int, str, str, str], applicant: int, case_id: int,
              index: int, submitted: dt.datetime, auto: float, share: float, outcome: float, supplement: float,
              open_draw: float, sign_draw: float) -> None:
        local = timezone.localtime(submitted)
        number = f"QQ{local:%Y%m%d}{(index * _NUMBER_STRIDE + self.salt) % (1 << 32):08X}"
        due = submitted + self._limit(local.date(), *m.promised)
        statutory = submitted + self._limit(local.date(), *m.statutory)
        holder = enterprise[2]
        evs = out.events
        at = self._at
        evs.append((case_id, at(submitted), applicant, holder, "", "submitted", "", Status.SUBMITTED, ""))
        verdict: str | None = None
        status: str
        automatic = m.rule_version_id is not None and auto < AUTO_SHARE
        reviewer_label = m.department_name
        if automatic:
            status, decided = Status.APPROVED, submitted + dt.timedelta(seconds=1 + index % 3)
            verdict = _encode({"outcome": "approve", "reasons": [], "trace": []})
            evs.append((case_id, at(decided), None, "系统", "", "approved_automatically", Status.SUBMITTED,
                        Status.APPROVED, ""))
        else:
            decided = submitted + (due - submitted) * share
            current: str = Status.SUBMITTED
            if m.rule_version_id is not None:
                verdict = _encode({"outcome": "refer", "reasons": ["需人工审查"], "trace": []})
                current = Status.UNDER_REVIEW
                evs.append((case_id, at(submitted + dt.timedelta(seconds=1)), None, "系统", "", "referred",
                            Status.SUBMITTED, current, "需人工审查"))
            if supplement < SUPPLEMENT_SHARE:
                asked = submitted + (decided - submitted) * 0.4
                if asked >= self.now:
                    decided = asked  # still open below
                else:
                    evs.append((case_id, at(asked), m.reviewer_id, reviewer_label, "", "supplement_requested",
                                current, Status.SUPPLEMENT_REQUESTED, "请补正材料"))
                    current = Status.SUPPLEMENT_REQUESTED
                    back = asked + (decided - asked) * 0.5
                    if back < self.now:
                        evs.append((case_id, at(back), applicant, holder, "", "supplemented", current,
                                    Status.UNDER_REVIEW, ""))
                        current = Status.UNDER_REVIEW
            if decided >= self.now:  # still open: where its timeline stopped
                status = current if current != Status.SUBMITTED else _pick(OPEN_MIX, open_draw)
                out.cases.append(self._case_row(case_id, number, status, verdict, False, submitted, due, statutory,
                                                None, applicant, enterprise[0], m))
                self._events(out, m, enterprise, case_id, number, status, automatic=False)
                return
            status = _pick(REVIEW_OUTCOMES, outcome)
            actor, label = (applicant, holder) if status == Status.WITHDRAWN else (m.reviewer_id, reviewer_label)
            note = "" if status == Status.APPROVED else ("申请人撤回" if status == Status.WITHDRAWN else "不符合受理条件")
            evs.append((case_id, at(decided), actor, label, "", str(status), current, status, note))
        decided_at = decided
        out.cases.append(self._case_row(case_id, number, status, verdict, automatic, submitted, due, statutory,
                                        decided_at, applicant, enterprise[0], m))
        self._events(out, m, enterprise, case_id, number, status, automatic=automatic)
        if status == Status.APPROVED and m.licence_name:
            self._licence(out, m, enterprise, case_id, number, index, decided, sign_draw)

    def _events(self, out: HistoryBatch, m: MatterInfo, enterprise: tuple[int, str, str, str], case_id: int,
                number: str, status: str, *, automatic: bool) -> None:
        """The events `submit_case`, `decide_automatically` and the reviewer's decision emit for such a case."""
        if not self.plan.emit_events:
            return
        who: Subject = {"enterprise": enterprise[1], "region": enterprise[3]}
        out.domain.append(CaseSubmitted(case_id=case_id, number=number, matter=m.code, **who))
        if status in (Status.APPROVED, Status.REJECTED):
            out.domain.append(CaseDecided(case_id=case_id, number=number, matter=m.code, automatic=automatic,
                                          outcome="approved" if status == Status.APPROVED else "rejected", **who))
        if status in (Status.APPROVED, Status.REJECTED, Status.WITHDRAWN):
            out.domain.append(CaseClosed(case_id=case_id, status=str(status), **who))

    def _case_row(self, case_id: int, number: str, status: str, verdict: str | None, automatic: bool,
                  submitted: dt.datetime, due: dt.datetime, statutory: dt.datetime, decided: dt.datetime | None,
                  applicant: int, enterprise_id: int, m: MatterInfo) -> tuple[Any, ...]:
        at = self._at
        return (case_id, number, "", str(status), "{}", "{}", verdict, automatic, "", at(submitted), at(due),
                at(statutory), None, at(decided) if decided else None, "", "", applicant, enterprise_id, m.id,
                m.rule_version_id if verdict else None, "", None, "", "", True)

    def _licence(self, out: HistoryBatch, m: MatterInfo, enterprise: tuple[int, str, str, str], case_id: int,
                 case_number: str, index: int, issued: dt.datetime, sign_draw: float) -> None:
        local = timezone.localtime(issued)
        number = f"{m.department_code}-{local:%Y}-{(index * _LICENCE_STRIDE + self.salt) % (1 << 40):010X}"
        valid_until = None
        if m.valid_years:
            start = local.date()
            try:
                valid_until = start.replace(year=start.year + m.valid_years) - dt.timedelta(days=1)
            except ValueError:
                valid_until = start.replace(month=2, day=28, year=start.year + m.valid_years)
        payload: dict[str, Any] = {
            "number": number, "title": m.licence_name, "holder": enterprise[2], "uscc": enterprise[1],
            "matter": m.code, "matter_name": m.name, "issuer": m.department_name,
            "issued_at": local.isoformat(timespec="seconds"),
            "valid_until": valid_until.isoformat() if valid_until else None, "case": case_number, "fields": [],
        }
        signature = sign(payload) if sign_draw < self.plan.sign_share else ""
        out.licences.append((number, case_id, enterprise[0], m.id, m.licence_name[:100], enterprise[2],
                             self._at(issued), valid_until if self.pg or valid_until is None else valid_until.isoformat(),
                             Licence.Status.VALID, None, "", _encode(payload), signature))
        out.events.append((case_id, self._at(issued), None, m.department_name, "", "licence_issued", "", "", number))


def _pick(mix: tuple[tuple[str, float], ...], draw: float) -> str:
    total = 0.0
    for value, weight in mix:
        total += weight
        if draw < total:
            return value
    return mix[-1][0]


def _reserve_ids(table: str, count: int) -> int:
    """The first of `count` consecutive ids for `table`, reserved inside the caller's transaction."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
            sequence = cursor.fetchone()[0]
            cursor.execute("LOCK TABLE " + connection.ops.quote_name(table) + " IN SHARE ROW EXCLUSIVE MODE")
            cursor.execute("SELECT nextval(%s)", [sequence])
            first = int(cursor.fetchone()[0])
            cursor.execute("SELECT setval(%s, %s)", [sequence, first + count - 1])
            return first
        cursor.execute("SELECT COALESCE(MAX(id), 0) FROM " + connection.ops.quote_name(table))  # noqa: S608
        return int(cursor.fetchone()[0]) + 1


def generate_history(plan: HistoryPlan, progress: Callable[[int, int], None] | None = None,
                     city_progress: Callable[[int, int], None] | None = None) -> dict[str, int]:
    """Add `plan.cases` synthetic cases and return how many rows each table got."""
    if plan.cases < 0 or plan.batch < 1 or plan.enterprises < 0 or not 0.0 <= plan.sign_share <= 1.0:
        raise ValueError("cases ≥ 0, batch ≥ 1, enterprises ≥ 0 and a signed share between 0 and 1, please")
    counts = {"enterprises": 0, "cases": 0, "events": 0, "licences": 0, "signed": 0, "domain_events": 0}
    missing = plan.enterprises - Enterprise.objects.filter(synthetic=True).count()
    if missing > 0:
        city = generate_city(CityPlan(enterprises=missing, seed=plan.seed, months=0, years=0, emit_events=False),
                             progress=city_progress)
        counts["enterprises"] = city["enterprises"]
    builder = HistoryBuilder(plan, timezone.now(), start=Case.objects.filter(synthetic=True).count())
    done = 0
    for number, size in _sizes(plan.cases, plan.batch):
        with cyclic_gc_paused(), events.atomic():
            first = _reserve_ids(Case._meta.db_table, size)
            batch = builder.batch(number, size, first)
            write_rows(Case._meta.db_table, CASE_COLUMNS, batch.cases)
            write_rows(CaseEvent._meta.db_table, EVENT_COLUMNS, batch.events)
            write_rows(Licence._meta.db_table, LICENCE_COLUMNS, batch.licences)
            events.write_many(batch.domain)
        counts["cases"] += len(batch.cases)
        counts["events"] += len(batch.events)
        counts["licences"] += len(batch.licences)
        counts["domain_events"] += len(batch.domain)
        counts["signed"] += sum(1 for row in batch.licences if row[-1])
        done += size
        if progress is not None:
            progress(done, plan.cases)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for model in (Case, CaseEvent, Licence):
                cursor.execute("ANALYZE " + connection.ops.quote_name(model._meta.db_table))
    with events.atomic():
        record_event(actor="genhistory", action="cases.synthetic_history_generated",
                     obj=User.objects.get(username=SYNTHETIC_APPLICANT),
                     after={"plan": plan.__dict__, "counts": counts})
    return counts


def _sizes(total: int, batch: int) -> Iterator[tuple[int, int]]:
    number = 0
    while total > 0:
        size = min(batch, total)
        yield number, size
        number, total = number + 1, total - size


def clear_history() -> dict[str, int]:
    """Delete every synthetic case with its timeline and licence; real and demo cases are never touched."""
    counts: dict[str, int] = {}
    with events.atomic():
        synthetic = Case.objects.filter(synthetic=True).values("pk")
        counts["events"] = CaseEvent.objects.filter(case__in=synthetic)._raw_delete(using="default")
        counts["licences"] = Licence.objects.filter(case__in=synthetic)._raw_delete(using="default")
        counts["cases"] = Case.objects.filter(synthetic=True)._raw_delete(using="default")
        applicant = User.objects.filter(username=SYNTHETIC_APPLICANT).first()
        if applicant is not None:
            record_event(actor="genhistory", action="cases.synthetic_history_cleared", obj=applicant, after=counts)
    return counts
