"""Properties of the one clock: adding then measuring round-trips; pauses only ever add time, in any order."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qinqing.core import clock
from qinqing.core.clock import Duration, Pause, ServiceHours, Unit

SH = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 12, 31, 12, 0, tzinfo=SH)
pytestmark = pytest.mark.django_db

# Inside the years the shipped table covers, so no result is provisional.
starts = st.datetimes(min_value=dt.datetime(2025, 1, 1), max_value=dt.datetime(2026, 9, 30), timezones=st.just(SH))
policies = st.sampled_from([
    ServiceHours(),
    ServiceHours(skip_holidays=True),
    ServiceHours(skip_holidays=True, skip_weekends=True),
    ServiceHours(opens=dt.time(8, 30), closes=dt.time(17, 30), skip_weekends=True),
])
durations = st.one_of(
    st.builds(Duration, st.integers(1, 40), st.just(Unit.WORKING_DAYS)),
    st.builds(Duration, st.integers(0, 60), st.just(Unit.CALENDAR_DAYS)),
    st.builds(Duration, st.integers(0, 500), st.just(Unit.CALENDAR_HOURS)),
    st.builds(Duration, st.integers(0, 5000), st.just(Unit.SERVICE_MINUTES)),
    st.builds(Duration, st.integers(0, 100), st.just(Unit.SERVICE_HOURS)),
)


@st.composite
def pauses_after(draw: st.DrawFn, start: dt.datetime) -> list[Pause]:
    out = []
    for _ in range(draw(st.integers(0, 4))):
        begin = start + dt.timedelta(minutes=draw(st.integers(-600, 60 * 24 * 40)))
        if draw(st.booleans()) and begin < NOW:
            out.append(Pause(begin))  # still going on
        else:
            out.append(Pause(begin, begin + dt.timedelta(minutes=draw(st.integers(0, 60 * 24 * 15)))))
    return out


@settings(max_examples=150, deadline=None)
@given(start=starts, duration=durations, policy=policies)
def test_adding_then_measuring_a_duration_round_trips(start, duration, policy):
    due = clock.add(start, duration, policy=policy)
    assert due.at >= start or duration.unit in clock.DAY_UNITS
    assert not due.provisional
    assert clock.elapsed(start, due.at, duration.unit, policy=policy) == duration.amount


@settings(max_examples=100, deadline=None)
@given(data=st.data(), start=starts, duration=durations, policy=policies)
def test_a_pause_never_shortens_a_deadline(data, start, duration, policy):
    pauses = data.draw(pauses_after(start))
    extra = data.draw(pauses_after(start))
    fewer = clock.deadline(start, duration, pauses, policy=policy, now=NOW)
    more = clock.deadline(start, duration, pauses + extra, policy=policy, now=NOW)
    assert fewer.at >= clock.add(start, duration, policy=policy).at
    assert more.at >= fewer.at


@settings(max_examples=100, deadline=None)
@given(data=st.data(), start=starts, duration=durations, policy=policies)
def test_the_deadline_is_the_same_whichever_order_pauses_are_recorded_in(data, start, duration, policy):
    pauses = data.draw(pauses_after(start))
    shuffled = data.draw(st.permutations(pauses))
    assert (clock.deadline(start, duration, pauses, policy=policy, now=NOW)
            == clock.deadline(start, duration, shuffled, policy=policy, now=NOW))


@settings(max_examples=60, deadline=None)
@given(start=starts, duration=durations, policy=policies)
def test_a_pause_inside_the_running_clock_is_left_out_of_the_measure(start, duration, policy):
    if duration.unit in clock.DAY_UNITS or duration.amount == 0:
        return
    due = clock.add(start, duration, policy=policy).at
    pause = Pause(start, start + (due - start) / 2)
    moved = clock.deadline(start, duration, [pause], policy=policy, now=NOW).at
    assert clock.elapsed(start, moved, duration.unit, [pause], policy=policy, now=NOW) == duration.amount
