"""The slots of an agenda day as an editor sees them, without the database: clock times and durations as shown,
the problems a slot's form reports, the days with their slots in order and what is flagged, and the move of an
item one place earlier (the target `agenda-slots` of `make mutation`, with tests/agendas/test_rules.py)."""

from __future__ import annotations

from datetime import date, time
from types import SimpleNamespace

import pytest

from protect.agendas import timeplan

FIRST_DAY = date(2016, 3, 15)


def item(id, day, start, end, kind="plenary", position=0):
    return SimpleNamespace(
        id=id, day=day, start=time.fromisoformat(start), end=time.fromisoformat(end), kind=kind, position=position
    )


def day_of(items, days=2, day_start=time(9), day_end=time(17)):
    return timeplan.build_days(FIRST_DAY, days, day_start, day_end, items)


def ids(day):
    return [slot.item.id for slot in day.slots]


# Clock times and durations ------------------------------------------------------------------------------------


def test_clock_times_are_minutes_since_midnight_both_ways():
    assert timeplan.minutes(time(0, 0)) == 0
    assert timeplan.minutes(time(9, 30)) == 570
    assert timeplan.minutes(time(23, 59)) == 1439
    assert timeplan.clock(0) == time(0, 0)
    assert timeplan.clock(60) == time(1, 0)
    assert timeplan.clock(600) == time(10, 0)
    assert timeplan.clock(570) == time(9, 30)
    assert timeplan.clock(1439) == time(23, 59)
    assert timeplan.day_length(time(9), time(17, 30)) == 510


def test_durations_read_in_hours_and_minutes_and_never_below_zero():
    assert timeplan.format_minutes(95) == "1 h 35 min"
    assert timeplan.format_minutes(120) == "2 h"
    assert timeplan.format_minutes(59) == "59 min"
    assert timeplan.format_minutes(1) == "1 min"
    assert timeplan.format_minutes(0) == "0 min"
    assert timeplan.format_minutes(-30) == "0 min"


def test_a_clock_time_is_shown_as_hours_and_minutes_and_a_missing_one_as_nothing():
    assert timeplan.format_clock(time(9, 5)) == "09:05"
    assert timeplan.format_clock(time(0, 0)) == "00:00"
    assert timeplan.format_clock(None) == ""


# The problems a slot's form reports ---------------------------------------------------------------------------


def problems(**changes):
    values = dict(day=1, days=2, start=time(9), end=time(10), day_start=time(9), day_end=time(17))
    values.update(changes)
    return timeplan.slot_problems(**values)


def test_the_first_and_the_last_day_of_the_event_are_days_of_the_event():
    assert problems(day=1, days=3) == {}
    assert problems(day=3, days=3) == {}
    assert problems(day=1, days=1) == {}


def test_a_day_outside_the_event_says_which_days_there_are():
    assert problems(day=4, days=3) == {"day": "Choose a day of the event (1 to 3)."}
    assert problems(day=0, days=2) == {"day": "Choose a day of the event (1 to 2)."}
    assert problems(day=None, days=2) == {"day": "Choose a day of the event (1 to 2)."}
    assert problems(day=2, days=1) == {"day": "This event has one day."}
    assert problems(day=None, days=1) == {"day": "This event has one day."}


def test_an_end_at_or_before_the_start_names_both_times():
    message = "The end (09:30) must be after the start (10:00)."
    assert problems(start=time(10), end=time(9, 30)) == {"end": message}
    assert problems(start=time(10), end=time(10)) == {"end": "The end (10:00) must be after the start (10:00)."}
    assert problems(start=time(10), end=time(10, 1)) == {}  # one minute is a slot


def test_a_slot_longer_than_the_day_says_how_long_each_is():
    assert problems(start=time(8), end=time(17, 1)) == {
        "end": "A slot cannot be longer than the day (09:00–17:00, 8 h); this one lasts 9 h 1 min."
    }
    assert problems(start=time(8), end=time(16)) == {}  # as long as the day, earlier: flagged, not refused
    assert problems(start=time(9), end=time(17)) == {}


def test_a_slot_without_a_start_or_an_end_has_no_time_problem_of_its_own():
    # The form reports the missing time itself; the slot's rules only judge two times.
    assert problems(start=None, end=time(10)) == {}
    assert problems(start=time(10), end=None) == {}
    assert problems(start=None, end=None, day=5) == {"day": "Choose a day of the event (1 to 2)."}


def test_a_bad_day_and_a_bad_end_are_both_reported():
    assert problems(day=3, start=time(11), end=time(10)) == {
        "day": "Choose a day of the event (1 to 2).",
        "end": "The end (10:00) must be after the start (11:00).",
    }


# The days and their slots -------------------------------------------------------------------------------------


def test_every_day_of_the_event_is_shown_even_an_empty_one_with_its_date_and_hours():
    days = day_of([item(1, 2, "09:00", "10:00")], days=3, day_start=time(8, 30), day_end=time(16))
    assert [(day.number, day.date, ids(day)) for day in days] == [
        (1, date(2016, 3, 15), []),
        (2, date(2016, 3, 16), [1]),
        (3, date(2016, 3, 17), []),
    ]
    assert all((day.day_start, day.day_end) == (time(8, 30), time(16)) for day in days)
    assert days[0].programme_minutes == 0 and days[0].break_minutes == 0 and days[0].flagged == 0


def test_an_item_on_a_day_the_event_no_longer_has_is_still_shown_after_the_others():
    # The event was shortened to one day after the item was planned on day 3: it is not lost.
    days = day_of([item(7, 3, "10:00", "11:00"), item(8, 1, "09:00", "10:00")], days=1)
    assert [(day.number, day.date, ids(day)) for day in days] == [
        (1, date(2016, 3, 15), [8]),
        (3, date(2016, 3, 17), [7]),
    ]


def test_slots_at_the_same_time_keep_their_place_then_their_creation_order():
    items = [
        item(5, 1, "10:00", "11:00", position=2),
        item(4, 1, "10:00", "10:30", position=1),
        item(3, 1, "10:00", "10:45", position=2),
        item(1, 1, "09:30", "10:00", position=9),
        item(2, 2, "08:00", "09:00"),
    ]
    days = day_of(items)
    assert ids(days[0]) == [1, 4, 3, 5]
    assert ids(days[1]) == [2]


def test_a_new_item_not_yet_saved_comes_before_saved_ones_at_the_same_place():
    days = day_of([item(1, 1, "10:00", "11:00"), item(None, 1, "10:00", "10:30")])
    assert ids(days[0]) == [None, 1]


def test_each_slot_knows_its_length_and_whether_it_is_a_break():
    days = day_of(
        [item(1, 1, "09:00", "10:15"), item(2, 1, "10:15", "10:30", "break"), item(3, 1, "12:00", "13:00", "meal")]
    )
    assert [(slot.duration, slot.is_break) for slot in days[0].slots] == [(75, False), (15, True), (60, True)]
    assert (days[0].programme_minutes, days[0].break_minutes) == (75, 75)


def test_only_the_first_and_the_last_slot_of_a_day_are_marked_so():
    days = day_of([item(1, 1, "09:00", "10:00"), item(2, 1, "10:00", "11:00"), item(3, 1, "11:00", "12:00")])
    assert [(slot.is_first, slot.is_last) for slot in days[0].slots] == [(True, False), (False, False), (False, True)]
    (alone,) = day_of([item(4, 1, "09:00", "10:00")], days=1)[0].slots
    assert alone.is_first and alone.is_last


def test_a_slot_from_the_start_to_the_end_of_the_day_is_within_its_hours():
    days = day_of([item(1, 1, "09:00", "17:00")])
    assert not days[0].slots[0].outside_hours and days[0].flagged == 0


def test_a_slot_starting_before_or_ending_after_the_days_hours_is_flagged():
    days = day_of([item(1, 1, "08:59", "10:00"), item(2, 1, "16:00", "17:01"), item(3, 2, "07:00", "18:00")])
    assert [slot.outside_hours for slot in days[0].slots] == [True, True]
    assert days[1].slots[0].outside_hours
    assert (days[0].flagged, days[1].flagged) == (2, 1)


def test_a_slot_overlapping_two_others_is_flagged_with_both_and_they_with_it():
    items = [
        item(1, 1, "09:00", "12:00"),
        item(2, 1, "10:00", "11:00"),
        item(3, 1, "11:30", "12:30"),
        item(4, 1, "12:30", "13:00"),  # starts as 3 ends: next to it, not over it
    ]
    (day, _second) = day_of(items)
    assert {slot.item.id: [other.id for other in slot.overlaps] for slot in day.slots} == {
        1: [2, 3],
        2: [1],
        3: [1],
        4: [],
    }
    assert day.flagged == 3


def test_an_overlap_is_flagged_once_on_each_slot_and_never_across_days():
    items = [item(1, 1, "09:00", "10:00"), item(2, 1, "09:30", "10:30"), item(3, 2, "09:00", "10:00")]
    days = day_of(items)
    assert [[o.id for o in slot.overlaps] for slot in days[0].slots] == [[2], [1]]
    assert days[1].slots[0].overlaps == [] and days[1].flagged == 0


def test_a_slot_only_out_of_hours_or_only_overlapping_counts_once_among_the_flagged():
    items = [item(1, 1, "08:00", "09:30"), item(2, 1, "09:00", "10:00"), item(3, 1, "16:30", "17:30")]
    (day, _second) = day_of(items)
    assert [(bool(slot.overlaps), slot.outside_hours) for slot in day.slots] == [
        (True, True),
        (True, False),
        (False, True),
    ]
    assert day.flagged == 3


# Moving an item one place earlier ------------------------------------------------------------------------------


def test_a_move_earlier_of_two_adjacent_slots_keeps_them_adjacent():
    new_current, new_previous = timeplan.swap_with_previous(timeplan.Span(540, 600), timeplan.Span(600, 630))
    assert (new_current, new_previous) == (timeplan.Span(540, 570), timeplan.Span(570, 630))
    assert (new_current.length, new_previous.length) == (30, 60)


def test_a_move_earlier_keeps_the_gap_between_the_two_slots():
    new_current, new_previous = timeplan.swap_with_previous(timeplan.Span(540, 600), timeplan.Span(620, 650))
    assert (new_current, new_previous) == (timeplan.Span(540, 570), timeplan.Span(590, 650))


def test_a_move_earlier_of_overlapping_slots_puts_them_one_after_the_other():
    new_current, new_previous = timeplan.swap_with_previous(timeplan.Span(540, 660), timeplan.Span(600, 630))
    assert (new_current, new_previous) == (timeplan.Span(540, 570), timeplan.Span(570, 690))


def test_a_move_may_end_a_minute_before_midnight_but_not_at_midnight():
    # Overlapping slots late in the evening: after the swap the longer one ends later than before.
    new_current, new_previous = timeplan.swap_with_previous(timeplan.Span(1300, 1399), timeplan.Span(1320, 1360))
    assert (new_current, new_previous) == (timeplan.Span(1300, 1340), timeplan.Span(1340, 1439))
    with pytest.raises(ValueError):
        timeplan.swap_with_previous(timeplan.Span(1300, 1400), timeplan.Span(1320, 1360))


def test_an_items_neighbours_in_its_day():
    ordered = [SimpleNamespace(id=n) for n in (4, 7, 9)]
    assert timeplan.neighbours(ordered, 4) == (None, ordered[0], ordered[1])
    assert timeplan.neighbours(ordered, 7) == (ordered[0], ordered[1], ordered[2])
    assert timeplan.neighbours(ordered, 9) == (ordered[1], ordered[2], None)
    (only,) = ordered[:1]
    assert timeplan.neighbours([only], 4) == (None, only, None)
    with pytest.raises(LookupError):
        timeplan.neighbours(ordered, 5)
