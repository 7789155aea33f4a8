"""The agenda's rules on their own: slots, days, totals, flags, moves, differences, merges, time zones."""

from __future__ import annotations

from datetime import date, time
from types import SimpleNamespace

import pytest

from protect.agendas import services, timeplan
from protect.agendas.models import TrainingEvent
from protect.core.diff import word_diff
from protect.core.permissions import can
from tests.agendas.factories import make_event
from tests.factories import make_user


def slot(**changes):
    values = dict(day=1, days=2, start=time(9), end=time(10), day_start=time(9), day_end=time(17))
    values.update(changes)
    return timeplan.slot_problems(**values)


def test_a_good_slot_has_no_problem():
    assert slot() == {}


def test_end_before_or_at_start_is_refused():
    assert "must be after the start" in slot(start=time(10), end=time(9, 30))["end"]
    assert "must be after the start" in slot(start=time(10), end=time(10))["end"]


def test_a_slot_longer_than_the_day_is_refused_but_one_as_long_is_not():
    assert "longer than the day" in slot(start=time(8), end=time(17, 30))["end"]
    assert slot(start=time(9), end=time(17)) == {}
    # outside the day's hours but not longer than the day: allowed (it is flagged on the agenda)
    assert slot(start=time(18), end=time(20)) == {}


@pytest.mark.parametrize("day", [0, 3, None, -1])
def test_a_day_outside_the_event_is_refused(day):
    assert "day of the event" in slot(day=day)["day"]


def item(id, day, start, end, kind="plenary", title=None, position=0):
    return SimpleNamespace(
        id=id,
        day=day,
        start=time.fromisoformat(start),
        end=time.fromisoformat(end),
        kind=kind,
        title=title or f"item {id}",
        position=position,
    )


def test_days_are_in_time_order_with_totals_of_programme_and_breaks():
    items = [
        item(3, 1, "10:30", "12:00", "workshop"),
        item(1, 1, "09:00", "10:15"),
        item(2, 1, "10:15", "10:30", "break"),
        item(4, 1, "12:00", "13:00", "meal"),
        item(5, 2, "09:00", "09:45", "travel"),
    ]
    days = timeplan.build_days(date(2016, 3, 15), 2, time(9), time(17), items)
    assert [s.item.id for s in days[0].slots] == [1, 2, 3, 4]
    assert days[0].date == date(2016, 3, 15) and days[1].date == date(2016, 3, 16)
    assert days[0].programme_minutes == 75 + 90
    assert days[0].break_minutes == 15 + 60
    assert days[1].programme_minutes == 0 and days[1].break_minutes == 45
    assert timeplan.format_minutes(165) == "2 h 45 min"
    assert timeplan.format_minutes(60) == "1 h" and timeplan.format_minutes(5) == "5 min"


def test_overlaps_and_slots_outside_the_day_are_flagged_not_dropped():
    items = [
        item(1, 1, "08:30", "09:30"),
        item(2, 1, "09:15", "10:00"),
        item(3, 1, "10:00", "11:00"),
        item(4, 1, "16:30", "17:15"),
    ]
    (day, _second) = timeplan.build_days(date(2016, 3, 15), 2, time(9), time(17), items)
    flags = {s.item.id: ([o.id for o in s.overlaps], s.outside_hours) for s in day.slots}
    assert flags == {1: ([2], True), 2: ([1], False), 3: ([], False), 4: ([], True)}
    assert day.flagged == 3
    assert day.slots[0].is_first and day.slots[-1].is_last


def test_moving_earlier_swaps_slots_and_keeps_lengths_and_the_gap():
    previous, current = timeplan.Span(9 * 60, 10 * 60), timeplan.Span(10 * 60 + 15, 10 * 60 + 45)
    new_current, new_previous = timeplan.swap_with_previous(previous, current)
    assert (new_current.start, new_current.end) == (9 * 60, 9 * 60 + 30)
    assert (new_previous.start, new_previous.end) == (9 * 60 + 45, 10 * 60 + 45)


def test_a_move_past_midnight_is_refused():
    # Overlapping slots late at night: after the swap the longer one would end at 00:40.
    with pytest.raises(ValueError):
        timeplan.swap_with_previous(timeplan.Span(22 * 60, 23 * 60 + 50), timeplan.Span(22 * 60 + 10, 23 * 60))


def test_word_diff_marks_removed_and_added_words():
    difference = word_diff("Hearing the child in court", "Hearing the child with an interpreter")
    assert [tuple(s) for s in difference.segments] == [
        ("same", "Hearing the child "),
        ("del", "in court"),
        ("ins", "with an interpreter"),
    ]
    assert [tuple(s) for s in word_diff("Hearing the child", "Hearing the child in court").segments] == [
        ("same", "Hearing the child"),
        ("ins", " in court"),
    ]
    assert "".join(text for _kind, text in difference.side("old")) == "Hearing the child in court"
    assert "".join(text for _kind, text in difference.side("new")) == "Hearing the child with an interpreter"


def test_merge_takes_each_sides_own_changes_and_flags_clashes():
    base = {"title": "Old title", "notes": "Old notes", "speakers": "A", "start": "09:00"}
    mine = {"title": "My title", "notes": "Old notes", "speakers": "Mine", "start": time(9)}
    theirs = {"title": "Old title", "notes": "Their notes", "speakers": "Theirs", "start": time(9, 30)}
    merged, clashes = services.merge_values(base, mine, theirs)
    assert merged["title"] == "My title"  # only I changed it
    assert merged["notes"] == "Their notes"  # only they changed it
    assert merged["start"] == time(9, 30)
    assert merged["speakers"] == "Mine" and clashes == ["speakers"]  # both: mine, flagged
    _merged, clashes = services.merge_values(None, mine, theirs)
    assert set(clashes) == {"title", "notes", "speakers", "start"}


@pytest.mark.parametrize(
    ("city", "country", "zone"),
    [
        ("St Petersburg", "RU", "Europe/Moscow"),
        ("Riga", "LV", "Europe/Riga"),
        ("Tallinn", "EE", "Europe/Tallinn"),
        ("Kaliningrad", "RU", "Europe/Kaliningrad"),
        ("Tromsø", "NO", "Europe/Oslo"),
        ("Reykjavík", "IS", "Atlantic/Reykjavik"),
    ],
)
def test_an_events_time_zone_comes_from_its_city_and_country(city, country, zone):
    assert services.event_time_zone(city, country) == zone


def test_dates_are_labelled_compactly():
    event = TrainingEvent(first_day=date(2015, 9, 22), days=2)
    # Babel's British English (outside a request), with thin spaces around the dash.
    assert event.dates_label == "22\u2009–\u200923 Sept 2015"
    event = TrainingEvent(first_day=date(2016, 9, 30), days=2)
    assert event.dates_label == "30 Sept\u2009–\u20091 Oct 2016"
    event = TrainingEvent(first_day=date(2016, 12, 31), days=2)
    assert event.dates_label == "31 Dec 2016\u2009–\u20091 Jan 2017"


def test_item_rules_name_the_field(expert):
    event = make_event(expert)
    good = {"day": 1, "start": time(9), "end": time(10), "title": "Ok", "kind": "panel", "notes": "", "speakers": ""}
    assert services.item_problems(event, good) == {}
    assert "Enter a title" in services.item_problems(event, {**good, "title": "  "})["title"]
    assert "at most 200" in services.item_problems(event, {**good, "title": "x" * 201})["title"]
    assert "20,000" in services.item_problems(event, {**good, "notes": "x" * 20_001})["notes"]
    assert "kind" in services.item_problems(event, {**good, "kind": "party"})["kind"]
    assert "member" in services.item_problems(event, {**good, "responsible_id": 99999})["responsible_id"]
    inactive = make_user("expert", active=False)
    assert "member" in services.item_problems(event, {**good, "responsible_id": inactive.id})["responsible_id"]
    assert "day" in services.item_problems(event, {**good, "day": 3})


def test_who_may_do_what(expert, moderator):
    other = make_user("expert")
    event = make_event(expert)
    assert can(expert, "agendas.edit_event", event)  # the proposer, while proposed
    assert not can(other, "agendas.edit_event", event)
    assert can(moderator, "agendas.edit_event", event)
    assert can(other, "agendas.edit_agenda", event)  # every expert co-drafts
    assert not can(expert, "agendas.set_status", event) and can(moderator, "agendas.set_status", event)
    event.status = "completed"
    assert not can(expert, "agendas.edit_event", event)
    assert not can(other, "agendas.edit_agenda", event)  # a completed agenda is a record
    assert can(moderator, "agendas.edit_agenda", event)
    inactive = make_user("moderator", active=False)
    assert not can(inactive, "agendas.edit_agenda", event)


def test_presence_token_changes_with_who_edits_what():
    one = [services.Presence(1, 2, "A")]
    two = [services.Presence(1, 2, "A"), services.Presence(3, 4, "B")]
    assert services.presence_token([]) == "0"
    assert services.presence_token(one) != services.presence_token(two)
    assert services.presence_token(one) == services.presence_token(list(one))
