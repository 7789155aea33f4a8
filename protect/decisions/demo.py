"""Demo decision log: the expert meeting in Copenhagen in September 2015 that launched the project, a follow-up
call, the decisions taken there (with their status timelines) and the actions that carried them out.

Idempotent: a meeting or decision whose title exists is left alone. Linked training events (by slug), Guidelines
sections (by document slug and heading) and the location vote (by its question) are looked up; a link whose
target does not exist is skipped.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from protect.agendas.models import TrainingEvent
from protect.auth.demo import demo_user
from protect.core.audit import recorded_at
from protect.core.timefmt import from_zone
from protect.decisions import actions, meetings, services
from protect.decisions.models import (
    ActionItem,
    Decision,
    DecisionStatusChange,
    DecisionVersion,
    Meeting,
)
from protect.extensions import db
from protect.guidelines.models import Guideline, GuidelineSection, SectionRevision
from protect.polls.models import Poll

LAUNCH_MINUTES = """\
## Purpose

Experts from the Nordic countries, the Baltic States and North-West Russia met for two days to define the way
forward of the joint project of the Nordic Council of Ministers and the Council of the Baltic Sea States
against the exploitation and trafficking of children in the Baltic Sea Region — both in content and in
practicalities.

## 1. Welcome and introductions

Mette Sørensen opened the meeting for the secretariat. In the round of introductions each expert described
the children on the move they meet in their own work: unaccompanied children passing through ports and border
crossings, children exploited in begging and petty crime, and children whose cases run through two or three
national systems at once.

## 2. What the trainings are for

The aim is capacity. Professionals who handle transnational child protection cases should be able to
recognise the risk of exploitation, know whom to call in the other country, and keep the child **heard, safe
and sound and supported** while the authorities cooperate.

## 3. Format and audiences

- Each training lasts **two days**: day one on recognising exploitation and trafficking and on the rights of
  the child, day two on case work across borders.
- Law enforcement, child welfare officials, NGOs and child rights advocates learn *in the same room*: the
  cases fail at the hand-overs between them.
- The trainings build on the PROTECT Guidelines from the earlier CBSS project; no new handbook is written.

## 4. Where

Riga, Tallinn and Vilnius were proposed as the first hosts; St Petersburg was discussed for an early
training. The experts will vote on the order in the workspace.

## 5. Next steps

See the actions below. The next contact is a video call in early November.
"""

FOLLOW_UP_MINUTES = """\
Short call on the hosts and the dates of the first trainings.

- The host authorities in St Petersburg need more lead time than January allows: the first training moves to
  **Riga in March 2016**; St Petersburg stays on the list for a later round.
- Working language: English. Olga Smirnova asked for interpretation into Russian where participants need it;
  the secretariat checks the budget.
"""

MEETINGS: list[dict[str, Any]] = [
    {
        "title": "Launch meeting of the PROTECT expert group",
        "local": datetime(2015, 9, 22, 9, 30),
        "time_zone": "Europe/Copenhagen",
        "place": "Nordic Council of Ministers, Ved Stranden, Copenhagen",
        "online": False,
        "minutes": LAUNCH_MINUTES,
        "recorded_by": "admin@example.org",
        "attendees": [
            "admin@example.org",
            "moderator@example.org",
            "expert@example.org",
            "aino@example.org",
            "olga@example.org",
            "erik@example.org",
            "kadri@example.org",
            "sigrid@example.org",
            "gudrun@example.org",
            "tomasz@example.org",
        ],
        "guests": [
            ("Lena Holm", "Council of the Baltic Sea States Secretariat, Children's Unit"),
            ("Anders Berg", "Nordic Council of Ministers Secretariat"),
        ],
    },
    {
        "title": "Follow-up call: hosts and dates of the first trainings",
        "local": datetime(2015, 11, 3, 14, 0),
        "time_zone": "Europe/Copenhagen",
        "place": "Video call",
        "online": True,
        "minutes": FOLLOW_UP_MINUTES,
        "recorded_by": "moderator@example.org",
        "attendees": ["admin@example.org", "moderator@example.org", "expert@example.org", "olga@example.org"],
        "guests": [("Lena Holm", "Council of the Baltic Sea States Secretariat, Children's Unit")],
    },
]

# title, meeting index, author, owner, due, tags, event slug, text, rationale,
# status steps [(status, moderator email, days after the meeting, note, replacement title)], actions
DECISIONS: list[dict[str, Any]] = [
    {
        "title": "Each training lasts two days",
        "meeting": 0,
        "author": "moderator@example.org",
        "owner": "moderator@example.org",
        "due": date(2015, 12, 15),
        "tags": ["format", "trainings"],
        "text": "Every training of the project runs over **two full days**: day one on recognising exploitation "
        "and trafficking and on the rights of the child; day two on case work across borders, with a case study "
        "from the host country.",
        "rationale": "One day is too short for the cross-border case work, which is what participants ask for "
        "most; three days keep police and social workers away from their cases for too long.",
        "steps": [
            ("agreed", "moderator@example.org", 1, "Agreed by all experts present.", None),
            ("implemented", "sigrid@example.org", 175, "The Riga training ran on this format.", None),
        ],
        "actions": [("Draft the two-day agenda template", "moderator@example.org", date(2015, 11, 15), True)],
    },
    {
        "title": "Four target groups learn together",
        "meeting": 0,
        "author": "aino@example.org",
        "owner": "aino@example.org",
        "due": date(2016, 1, 31),
        "tags": ["target groups", "trainings"],
        "text": "Each training is for law enforcement officials, child welfare officials, NGOs and child rights "
        "advocates, in mixed groups. A host city invites participants from all four.",
        "revision": ("protect-guidelines", "Interagency cooperation"),
        "rationale": "Transnational cases fail at the hand-overs between agencies. People who will call each other "
        "about a child should have met and worked through a case together.",
        "steps": [
            ("agreed", "moderator@example.org", 1, "", None),
            ("implemented", "moderator@example.org", 176, "Riga: 38 participants from all four groups.", None),
        ],
        "actions": [
            (
                "Collect contacts of child welfare services and NGOs in each host city",
                "kadri@example.org",
                date(2016, 1, 31),
                False,
            ),
        ],
    },
    {
        "title": "Base every training on the PROTECT Guidelines",
        "meeting": 0,
        "author": "sigrid@example.org",
        "owner": "sigrid@example.org",
        "due": date(2015, 12, 1),
        "tags": ["guidelines", "trainings"],
        "text": "The sessions follow the PROTECT Guidelines of the earlier CBSS project *Child exploitation: "
        "Cross-national child protection in practice*. Trainers quote the Guidelines and hand them out.",
        "rationale": "The Guidelines already give practitioners advice on working across sectors and borders with "
        "the child's rights and best interests as the common baseline, grounded in the UN Convention on the "
        "Rights of the Child.",
        "revision": ("protect-guidelines", "Purpose and scope"),
        "steps": [
            ("agreed", "moderator@example.org", 1, "", None),
            ("implemented", "moderator@example.org", 70, "Every session of the template cites a chapter.", None),
        ],
        "actions": [
            ("Map the Guidelines' chapters to training sessions", "sigrid@example.org", date(2015, 12, 1), True)
        ],
    },
    {
        "title": "Host cities to consider first: Riga, Tallinn and Vilnius",
        "meeting": 0,
        "author": "expert@example.org",
        "owner": "expert@example.org",
        "due": date(2015, 11, 30),
        "tags": ["host cities", "Riga", "Tallinn", "Vilnius"],
        "text": "The first round of trainings goes to the three Baltic capitals — Rīga, Tallinn and Vilnius. "
        "St Petersburg and a Nordic city follow in a later round. The experts vote on the order in the workspace.",
        "rationale": "Ministries in all three capitals offered venues, and the Baltic States asked for the "
        "training first: many cases of the region pass through their ports and roads.",
        "steps": [("agreed", "moderator@example.org", 1, "Order to be settled by the location vote.", None)],
        "actions": [
            (
                "Ask the ministries in Riga, Tallinn and Vilnius to host a training",
                "expert@example.org",
                date(2015, 11, 30),
                True,
            ),
            ("Prepare the location vote in the workspace", "moderator@example.org", date(2015, 10, 31), True),
        ],
    },
    {
        "title": "Write a separate handbook for trainers",
        "meeting": 0,
        "author": "erik@example.org",
        "owner": "erik@example.org",
        "due": date(2016, 2, 1),
        "tags": ["materials"],
        "text": "Produce a trainers' handbook alongside the Guidelines.",
        "rationale": "Trainers from different sectors would teach the same way.",
        "steps": [
            (
                "withdrawn",
                "moderator@example.org",
                1,
                "The Guidelines and the agenda template are enough; the budget goes to interpretation instead.",
                None,
            ),
        ],
        "actions": [],
    },
    {
        "title": "Hold the first training in St Petersburg in January 2016",
        "meeting": 0,
        "author": "olga@example.org",
        "owner": "olga@example.org",
        "due": date(2016, 1, 20),
        "tags": ["host cities", "St Petersburg"],
        "text": "The first training takes place in St Petersburg (Санкт-Петербург) in January 2016, hosted by the "
        "city's social services.",
        "rationale": "North-West Russia is where many of the region's cases begin or end.",
        "steps": [("agreed", "moderator@example.org", 1, "Subject to the host's confirmation.", None)],
        "actions": [],
    },
    {
        "title": "Hold the first training in Riga in March 2016",
        "meeting": 1,
        "author": "moderator@example.org",
        "owner": "moderator@example.org",
        "due": date(2016, 3, 15),
        "tags": ["host cities", "Riga"],
        "event": "riga-2016-training",
        "poll": "Where should the first two-day training take place?",
        "text": "The first training takes place in Rīga on 15–16 March 2016. St Petersburg stays on the list for "
        "a later round.",
        "rationale": "The hosts in St Petersburg need more lead time than January allows; Riga can host in March.",
        "steps": [
            ("agreed", "moderator@example.org", 0, "", None),
            ("implemented", "sigrid@example.org", 134, "Held on 15–16 March 2016.", None),
        ],
        "supersedes": "Hold the first training in St Petersburg in January 2016",
        "actions": [("Book the venue in Riga", "moderator@example.org", date(2016, 1, 15), True)],
    },
    {
        "title": "Working language English, with interpretation into Russian where needed",
        "meeting": 1,
        "author": "olga@example.org",
        "owner": "olga@example.org",
        "due": date(2016, 2, 1),
        "tags": ["language", "trainings"],
        "event": "tallinn-2016-training",
        "text": "Trainings are held in English. Where participants need it, sessions are interpreted into Russian "
        "(and into the host country's language for the local panel).",
        "rationale": "Front-line professionals should not be kept out by the language; the budget for a "
        "trainers' handbook pays for interpreters instead.",
        "steps": [],
        "actions": [("Find interpreters for Russian", "olga@example.org", date(2016, 2, 15), False)],
    },
]

MEETING_ACTIONS = [
    (0, "Circulate the minutes of the launch meeting", "admin@example.org", date(2015, 9, 30), True),
    (
        1,
        "Send the dates of the first trainings to the Children's Unit",
        "expert@example.org",
        date(2015, 11, 10),
        False,
    ),
]


def _utc(local: datetime, zone: str) -> datetime:
    return from_zone(local, zone)


def seed_decisions() -> None:
    meetings = [_meeting(spec) for spec in MEETINGS]
    by_title: dict[str, Decision] = {}
    for spec in DECISIONS:
        by_title[spec["title"]] = _decision(spec, meetings[spec["meeting"]])
    for spec in DECISIONS:
        replaced = spec.get("supersedes")
        decision = by_title[spec["title"]]
        old = by_title.get(replaced) if replaced else None
        if old is not None and old.status != "superseded" and decision.status != "superseded":
            moderator = demo_user("moderator@example.org")
            when = decision.created_at + timedelta(hours=1)
            with recorded_at(when):
                services.change_status(
                    moderator, old.id, "superseded", "Replaced after the follow-up call.", decision.id
                )
            _backdate_last_step(old.id, when)
    for index, what, owner, due, done in MEETING_ACTIONS:
        _action(what, owner, due, done, meeting=meetings[index])
    db.session.commit()


def _meeting(spec: dict[str, Any]) -> Meeting:
    existing = db.session.execute(select(Meeting).where(Meeting.title == spec["title"])).scalar_one_or_none()
    if existing is not None:
        return existing
    recorder = demo_user(spec["recorded_by"])
    attendees = [demo_user(email).id for email in spec["attendees"]]
    recorded = _utc(spec["local"], spec["time_zone"]) + timedelta(days=2)
    with recorded_at(recorded):
        meeting = _record_meeting(recorder, spec, attendees)
    meeting.created_at = meeting.updated_at = recorded
    db.session.commit()
    return meeting


def _record_meeting(recorder, spec: dict[str, Any], attendees: list[int]) -> Meeting:
    return meetings.record_meeting(
        recorder,
        {
            "title": spec["title"],
            "starts_at": _utc(spec["local"], spec["time_zone"]),
            "time_zone": spec["time_zone"],
            "place": spec["place"],
            "online": spec["online"],
            "minutes": spec["minutes"],
            "attendee_ids": attendees,
            "guests": [meetings.Guest(name, organisation) for name, organisation in spec["guests"]],
        },
    )


def _event_id(slug: str | None) -> int | None:
    if not slug:
        return None
    return db.session.execute(select(TrainingEvent.id).where(TrainingEvent.slug == slug)).scalar_one_or_none()


def _revision_id(key: tuple[str, str] | None) -> int | None:
    """The first text of a Guidelines section (as agreed at the launch), if the guidelines' demo made it."""
    if not key:
        return None
    slug, heading = key
    return db.session.execute(
        select(SectionRevision.id)
        .join(GuidelineSection, GuidelineSection.id == SectionRevision.section_id)
        .join(Guideline, Guideline.id == GuidelineSection.guideline_id)
        .where(Guideline.slug == slug, GuidelineSection.heading == heading, SectionRevision.number == 1)
    ).scalar_one_or_none()


def _closed_poll_id(question: str | None) -> int | None:
    """The demo vote whose result a decision records, if the polls' demo made it and it has closed."""
    if not question:
        return None
    poll = db.session.execute(select(Poll).where(Poll.question == question)).scalars().first()
    return poll.id if poll is not None and poll.is_closed() else None


def _decision(spec: dict[str, Any], meeting: Meeting) -> Decision:
    existing = db.session.execute(select(Decision).where(Decision.title == spec["title"])).scalar_one_or_none()
    if existing is not None:
        return existing
    author = demo_user(spec["author"])
    taken = meeting.starts_at + timedelta(hours=6)
    with recorded_at(taken):
        decision = _propose(author, spec, meeting)
    _backdate(decision.id, taken)
    for status, email, days, note, _replacement in spec["steps"]:
        when = taken + timedelta(days=days, hours=1)
        with recorded_at(when):
            services.change_status(demo_user(email), decision.id, status, note)
        _backdate_last_step(decision.id, when)
    for what, owner, due, done in spec["actions"]:
        _action(what, owner, due, done, decision=decision)
    db.session.expire_all()
    return db.session.get(Decision, decision.id)


def _propose(author, spec: dict[str, Any], meeting: Meeting) -> Decision:
    return services.propose_decision(
        author,
        {
            "title": spec["title"],
            "text": spec["text"],
            "rationale": spec["rationale"],
            "tags": spec["tags"],
            "meeting_id": meeting.id,
            "owner_id": demo_user(spec["owner"]).id,
            "due_on": spec["due"],
            "event_id": _event_id(spec.get("event")),
            "revision_id": _revision_id(spec.get("revision")),
            "poll_id": _closed_poll_id(spec.get("poll")),
        },
    )


def _backdate(decision_id: int, when: datetime) -> None:
    db.session.execute(
        update(Decision)
        .where(Decision.id == decision_id)
        .values(created_at=when, updated_at=when, status_changed_at=when)
    )
    db.session.execute(
        update(DecisionVersion).where(DecisionVersion.decision_id == decision_id).values(created_at=when)
    )
    db.session.execute(
        update(DecisionStatusChange).where(DecisionStatusChange.decision_id == decision_id).values(created_at=when)
    )
    db.session.commit()


def _backdate_last_step(decision_id: int, when: datetime) -> None:
    last = db.session.execute(
        select(DecisionStatusChange)
        .where(DecisionStatusChange.decision_id == decision_id)
        .order_by(DecisionStatusChange.id.desc())
        .limit(1)
    ).scalar_one()
    last.created_at = when
    db.session.execute(update(Decision).where(Decision.id == decision_id).values(status_changed_at=when))
    db.session.commit()


def _action(
    what: str, owner: str, due: date, done: bool, *, decision: Decision | None = None, meeting: Meeting | None = None
) -> None:
    parent = (ActionItem.decision_id == decision.id) if decision else (ActionItem.meeting_id == meeting.id)  # type: ignore[union-attr]
    if db.session.execute(select(ActionItem.id).where(parent, ActionItem.what == what)).first():
        return
    person = demo_user(owner)
    created = datetime.combine(due, datetime.min.time()) - timedelta(days=20)
    with recorded_at(created):
        action = actions.add_action(
            person,
            what=what,
            owner_id=person.id,
            due_on=due,
            decision_id=decision.id if decision else None,
            meeting_id=meeting.id if meeting else None,
        )
    action.created_at = created
    if done:
        action.done_at = datetime.combine(due, datetime.min.time()) - timedelta(days=2, hours=-10)
        action.done_by_id = person.id
    db.session.commit()
