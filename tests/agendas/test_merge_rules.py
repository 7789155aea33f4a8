"""The agenda item's rules on their own: what a merge of two editors' versions keeps, which fields a change
records, the state a snapshot keeps, and which problems an item's form reports (the target `agenda-merge` of
`make mutation`, with tests/agendas/test_rules.py)."""

from __future__ import annotations

from datetime import date, datetime, time
from types import SimpleNamespace

from protect.agendas import services
from protect.agendas.models import AgendaItem, TrainingEvent
from tests.factories import make_user

# What the merge keeps --------------------------------------------------------------------------------------------

# The base is the item as history stored it (plain JSON); mine and theirs are form and model values.
BASE = {
    "day": 1,
    "start": "09:00",
    "end": "10:00",
    "title": "Hearing the child",
    "kind": "plenary",
    "speakers": "",
    "responsible_id": None,
    "notes": "Bring the case files.",
    "version": 3,
    "deleted": False,
}
AS_BASE = {
    "day": 1,
    "start": time(9),
    "end": time(10),
    "title": "Hearing the child",
    "kind": "plenary",
    "speakers": "",
    "responsible_id": None,
    "notes": "Bring the case files.",
}


def merge(mine_changes, their_changes, base=BASE):
    return services.merge_values(base, {**AS_BASE, **mine_changes}, {**AS_BASE, **their_changes})


def test_when_nobody_changed_anything_the_merge_is_the_item_as_it_was():
    assert merge({}, {}) == (AS_BASE, [])


def test_a_field_only_they_changed_takes_their_value():
    merged, clashes = merge({}, {"start": time(9, 30), "title": "Hearing the child in court", "responsible_id": 4})
    assert merged == {**AS_BASE, "start": time(9, 30), "title": "Hearing the child in court", "responsible_id": 4}
    assert clashes == []


def test_a_field_only_i_changed_keeps_my_value():
    merged, clashes = merge({"end": time(10, 30), "kind": "panel", "notes": ""}, {})
    assert merged == {**AS_BASE, "end": time(10, 30), "kind": "panel", "notes": ""}
    assert clashes == []


def test_each_side_keeps_its_own_changes_in_one_merge():
    merged, clashes = merge({"title": "My title", "day": 2}, {"notes": "Their notes", "speakers": "Ann"})
    assert merged == {**AS_BASE, "title": "My title", "day": 2, "notes": "Their notes", "speakers": "Ann"}
    assert clashes == []


def test_the_same_change_on_both_sides_is_no_clash():
    merged, clashes = merge({"title": "Same", "start": time(8)}, {"title": "Same", "start": time(8)})
    assert merged == {**AS_BASE, "title": "Same", "start": time(8)}
    assert clashes == []


def test_different_changes_to_one_field_keep_mine_and_are_listed_in_the_forms_order():
    merged, clashes = merge(
        {"notes": "Mine", "start": time(8), "responsible_id": 5, "title": "Mine too"},
        {"notes": "Theirs", "start": time(8, 15), "responsible_id": 6, "day": 2},
    )
    assert merged == {
        **AS_BASE,
        "notes": "Mine",
        "start": time(8),
        "responsible_id": 5,
        "title": "Mine too",
        "day": 2,
    }
    assert clashes == ["start", "responsible_id", "notes"]


def test_without_the_version_i_began_from_every_difference_is_a_clash_and_mine_is_kept():
    merged, clashes = merge({"title": "Mine", "end": time(11)}, {"notes": "Theirs", "end": time(12)}, base=None)
    assert merged == {**AS_BASE, "title": "Mine", "end": time(11)}
    assert clashes == ["end", "title", "notes"]


def test_an_empty_base_is_no_base_either():
    merged, clashes = merge({"responsible_id": None, "speakers": ""}, {"responsible_id": 4, "speakers": "Ann"}, base={})
    assert merged == AS_BASE
    assert clashes == ["speakers", "responsible_id"]


def test_fields_missing_on_both_sides_stay_missing_as_nothing():
    merged, clashes = services.merge_values(BASE, {"title": "Mine"}, {"title": "Mine"})
    assert merged == dict.fromkeys(services.ITEM_FIELDS) | {"title": "Mine"}
    assert clashes == []


# Which fields a change records ---------------------------------------------------------------------------------


def test_an_edit_records_the_fields_it_changed_in_the_forms_order():
    after = {**BASE, "notes": "New notes", "start": "08:30", "version": 4}
    assert services.changed_fields(BASE, after) == ["start", "notes"]
    assert services.changed_fields(BASE, dict(BASE)) == []


def test_a_deletion_and_a_restore_record_only_that():
    deleted = {**BASE, "deleted": True}
    assert services.changed_fields(BASE, deleted) == ["deleted"]
    assert services.changed_fields(deleted, BASE) == ["deleted"]


def test_a_creation_records_every_field_the_new_item_has():
    assert services.changed_fields(None, BASE) == [
        "day",
        "start",
        "end",
        "title",
        "kind",
        "speakers",
        "notes",
        "deleted",
    ]
    assert services.changed_fields(BASE, None) == [
        "day",
        "start",
        "end",
        "title",
        "kind",
        "speakers",
        "notes",
        "deleted",
    ]
    assert services.changed_fields(None, None) == []


def test_an_event_change_records_the_events_own_fields_and_no_deletion():
    before = {"title": "Training", "city": "Riga", "days": 2, "version": 1}
    after = {"title": "Training", "city": "Tallinn", "days": 3, "version": 2}
    assert services.changed_fields(before, after, services.EVENT_FIELDS) == ["city", "days"]
    assert services.changed_fields(before, after, ("title",)) == []


# What a snapshot keeps --------------------------------------------------------------------------------------------


def test_an_items_snapshot_is_plain_json_of_its_fields_its_version_and_whether_it_is_deleted():
    item = AgendaItem(
        day=2,
        start=time(9, 5),
        end=time(10, 45),
        title="Case study",
        kind="case_study",
        speakers="Ann",
        responsible_id=None,
        notes="",
        version=7,
        deleted_at=None,
    )
    assert services.item_snapshot(item) == {
        "day": 2,
        "start": "09:05",
        "end": "10:45",
        "title": "Case study",
        "kind": "case_study",
        "speakers": "Ann",
        "responsible_id": None,
        "notes": "",
        "version": 7,
        "deleted": False,
    }
    item.deleted_at = datetime(2027, 3, 1, 12)
    assert services.item_snapshot(item)["deleted"] is True


def test_an_events_snapshot_keeps_dates_as_text_and_a_copy_of_its_audiences():
    audiences = ["law_enforcement", "child_welfare"]
    event = TrainingEvent(
        title="Training",
        city="Riga",
        country="LV",
        time_zone="Europe/Riga",
        venue="",
        first_day=date(2027, 3, 16),
        days=2,
        day_start=time(8, 30),
        day_end=time(17),
        audiences=audiences,
        language="English",
        capacity=30,
        description="",
        status="proposed",
        version=2,
    )
    state = services.event_snapshot(event)
    assert (state["first_day"], state["day_start"], state["day_end"]) == ("2027-03-16", "08:30", "17:00")
    assert state["audiences"] == ["law_enforcement", "child_welfare"]
    audiences.append("health")  # the event changes afterwards: the recorded state does not
    assert state["audiences"] == ["law_enforcement", "child_welfare"]
    assert state["version"] == 2 and state["capacity"] == 30 and state["time_zone"] == "Europe/Riga"


# Which problems an item has ---------------------------------------------------------------------------------------

EVENT = SimpleNamespace(days=2, day_start=time(9), day_end=time(17))
GOOD = {
    "day": 1,
    "start": time(9),
    "end": time(10),
    "title": "Hearing the child",
    "kind": "panel",
    "speakers": "",
    "responsible_id": None,
    "notes": "",
}


def problems(event=EVENT, **changes):
    return services.item_problems(event, {**GOOD, **changes}, check_people=False)


def test_a_good_item_has_no_problem():
    assert problems() == {}
    assert problems(day=2, start=time(10), end=time(18), kind="meal", speakers=None, notes=None) == {}


def test_an_empty_item_names_every_field_to_fill_in():
    assert problems(day=None, start=None, end=None, title=None, kind=None) == {
        "day": "Choose a day of the event (1 to 2).",
        "start": "Enter the start time (for example 09:30).",
        "end": "Enter the end time (for example 10:15).",
        "title": "Enter a title.",
        "kind": "Choose the kind of slot from the list.",
    }
    assert problems(title="   ") == {"title": "Enter a title."}


def test_the_items_times_are_judged_against_its_events_days_and_hours():
    assert problems(day=3) == {"day": "Choose a day of the event (1 to 2)."}
    assert problems(SimpleNamespace(days=3, day_start=time(9), day_end=time(17)), day=3) == {}
    assert problems(start=time(10), end=time(9)) == {"end": "The end (09:00) must be after the start (10:00)."}
    assert problems(start=time(8), end=time(16, 30)) == {
        "end": "A slot cannot be longer than the day (09:00–17:00, 8 h); this one lasts 8 h 30 min."
    }
    long_day = SimpleNamespace(days=2, day_start=time(8), day_end=time(17))
    assert problems(long_day, start=time(8), end=time(16, 30)) == {}


def test_a_missing_time_is_asked_for_even_when_the_other_is_given():
    assert problems(start=None) == {"start": "Enter the start time (for example 09:30)."}
    assert problems(end=None) == {"end": "Enter the end time (for example 10:15)."}


def test_a_title_may_have_200_characters_not_counting_the_spaces_around_it():
    assert problems(title="  " + "x" * 200 + "  ") == {}
    assert problems(title="x" * 201) == {"title": "The title is 201 characters long; at most 200 are allowed."}


def test_the_kind_must_be_one_of_the_list():
    assert problems(kind="case_study") == {}
    assert problems(kind="party") == {"kind": "Choose the kind of slot from the list."}


def test_speakers_may_have_300_characters():
    assert problems(speakers="x" * 300) == {}
    assert problems(speakers="x" * 301) == {"speakers": "At most 300 characters."}


def test_notes_may_have_20000_characters():
    assert problems(notes="x" * 20_000) == {}
    assert problems(notes="x" * 20_001) == {
        "notes": "The notes are 20,001 characters long; at most 20,000 are allowed."
    }


def test_the_responsible_person_is_an_active_member_or_nobody(expert):
    inactive = make_user("expert", active=False)
    event = SimpleNamespace(days=2, day_start=time(9), day_end=time(17))
    refused = {"responsible_id": "Choose a member of the group, or nobody."}
    assert services.item_problems(event, {**GOOD, "responsible_id": None}) == {}
    assert services.item_problems(event, {**GOOD, "responsible_id": expert.id}) == {}
    assert services.item_problems(event, {**GOOD, "responsible_id": inactive.id}) == refused
    assert services.item_problems(event, {**GOOD, "responsible_id": inactive.id + 1000}) == refused
    # Without check_people (the caller checks them itself), nobody is looked up.
    assert services.item_problems(event, {**GOOD, "responsible_id": inactive.id}, check_people=False) == {}


def test_a_responsible_person_already_on_the_item_may_stay_even_when_no_longer_active(expert):
    inactive = make_user("expert", active=False)
    event = SimpleNamespace(days=2, day_start=time(9), day_end=time(17))
    refused = {"responsible_id": "Choose a member of the group, or nobody."}
    kept = SimpleNamespace(responsible_id=inactive.id)
    assert services.item_problems(event, {**GOOD, "responsible_id": inactive.id}, current=kept) == {}
    chosen_anew = SimpleNamespace(responsible_id=expert.id)
    assert services.item_problems(event, {**GOOD, "responsible_id": inactive.id}, current=chosen_anew) == refused
    nobody_before = SimpleNamespace(responsible_id=None)
    assert services.item_problems(event, {**GOOD, "responsible_id": inactive.id}, current=nobody_before) == refused
