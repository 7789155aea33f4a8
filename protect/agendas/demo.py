"""Demo trainings: the launch meeting in Copenhagen (September 2015), the 2016 trainings in Riga, Tallinn and
Vilnius, and two trainings being drafted for 2027. Idempotent: an event whose slug exists is left alone.

The slugs are fixed: the programme pages and the decision log refer to them.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from protect.agendas import services
from protect.agendas.models import AgendaChange, AgendaItem, TrainingEvent
from protect.auth.demo import demo_user
from protect.core import audit
from protect.core.i18n import N_
from protect.extensions import db

ALL_AUDIENCES = ["law_enforcement", "child_welfare", "ngo", "child_rights"]

# day, start, end, kind, title, speakers, responsible (demo email), notes (Markdown)
Slot = tuple[int, str, str, str, str, str, str | None, str]

LAUNCH: list[Slot] = [
    (1, "09:00", "09:30", "break", "Arrival and coffee", "", None, ""),
    (
        1,
        "09:30",
        "10:15",
        "plenary",
        "Welcome: why a project on children on the move, and why now",
        "Children's Unit, Council of the Baltic Sea States; Nordic Council of Ministers",
        "admin@example.org",
        "The project runs 2015–2016, funded through the Nordic Council of Ministers' programme. "
        "Round of introductions: name, country, sector, and one case that stayed with you.",
    ),
    (
        1,
        "10:15",
        "11:15",
        "plenary",
        "The PROTECT Guidelines: what they ask of practitioners",
        "Kristīne Bērziņa",
        "moderator@example.org",
        "The Guidelines from the earlier CBSS project *Child exploitation: cross-national child protection in "
        "practice*. Built on the UN Convention on the Rights of the Child; the child's best interests as the "
        "common baseline across sectors and borders.",
    ),
    (1, "11:15", "11:30", "break", "Coffee break", "", None, ""),
    (
        1,
        "11:30",
        "12:30",
        "panel",
        "Round table: children on the move in our countries today",
        "All experts",
        "sigrid@example.org",
        "Each country in five minutes: who the children are, where they are found, which agency meets them first.",
    ),
    (1, "12:30", "13:30", "meal", "Lunch", "", None, ""),
    (
        1,
        "13:30",
        "15:00",
        "workshop",
        "Designing the 2-day training: audiences and learning goals",
        "Aino Virtanen, Erik Lindqvist",
        "aino@example.org",
        "Four audiences in one room: law enforcement, child welfare officials, NGOs, child rights advocates.\n\n"
        "- What must each of them be able to do after two days?\n- What do they need to learn *from each other*?",
    ),
    (1, "15:00", "15:15", "break", "Coffee break", "", None, ""),
    (
        1,
        "15:15",
        "16:30",
        "workshop",
        "Where to train: candidate cities and host partners",
        "Jonas Petrauskas",
        "expert@example.org",
        "Criteria: a host ministry or municipality, a mix of sectors, interpretation where needed. "
        "First candidates: Riga, Tallinn, Vilnius; later St Petersburg and a Nordic capital.",
    ),
    (1, "16:30", "17:00", "plenary", "Summary of the first day", "Mette Sørensen", "admin@example.org", ""),
    (
        2,
        "09:00",
        "10:30",
        "case_study",
        "Case study: a cross-border case from first contact to a durable solution",
        "Olga Smirnova",
        "olga@example.org",
        "An anonymised case: a 14-year-old boy travelling alone between three countries. Where did the "
        "authorities talk to each other, and where did the case fall between them?",
    ),
    (2, "10:30", "10:45", "break", "Coffee break", "", None, ""),
    (
        2,
        "10:45",
        "12:00",
        "workshop",
        "Training methods: hearing the child, role plays and case work",
        "Kadri Tamm, Guðrún Jónsdóttir",
        "kadri@example.org",
        "Trainings should let participants practise, not only listen. Draft a role play on a child-friendly interview.",
    ),
    (2, "12:00", "13:00", "meal", "Lunch", "", None, ""),
    (
        2,
        "13:00",
        "14:30",
        "plenary",
        "Work plan 2015–2016: trainings, timeline and who does what",
        "Sigrid Haugen",
        "sigrid@example.org",
        "Agree the training series, the drafting group for each agenda and the timeline to the first training.",
    ),
    (2, "14:30", "15:00", "plenary", "Closing and next steps", "Mette Sørensen", "admin@example.org", ""),
]


def training(city: str, host: str, local_panel: str, case: str, extra: dict[str, str]) -> list[Slot]:
    """A 2-day training as the expert group designed it, with the city's own case and panel."""
    return [
        (1, "08:30", "09:00", "break", "Registration and coffee", "", None, ""),
        (
            1,
            "09:00",
            "09:30",
            "plenary",
            f"Opening: the PROTECT Guidelines and this training in {city}",
            f"{host}; Children's Unit, CBSS",
            extra["opening"],
            "",
        ),
        (
            1,
            "09:30",
            "10:45",
            "plenary",
            "The child's best interests as a common baseline",
            "Guðrún Jónsdóttir",
            "gudrun@example.org",
            "Article 3 of the UN Convention on the Rights of the Child in practice: who assesses the best "
            "interests of a child on the move, when, and how is the child involved?",
        ),
        (1, "10:45", "11:00", "break", "Coffee break", "", None, ""),
        (
            1,
            "11:00",
            "12:30",
            "workshop",
            "Identification of victims: indicators of exploitation and trafficking",
            "Erik Lindqvist, Tomasz Nowak",
            "erik@example.org",
            "Indicators for police, social services and NGOs; what to do in the first hour after a suspicion. "
            "Small mixed groups: each with at least two sectors.",
        ),
        (1, "12:30", "13:30", "meal", "Lunch", "", None, ""),
        (
            1,
            "13:30",
            "15:00",
            "case_study",
            case,
            "Kadri Tamm",
            "kadri@example.org",
            "Groups follow the case step by step and note at each step: who acts, who must be told, "
            "and what the child is told.",
        ),
        (1, "15:00", "15:15", "break", "Coffee break", "", None, ""),
        (
            1,
            "15:15",
            "16:45",
            "workshop",
            "Hearing the child: child-friendly interviews and information",
            "Aino Virtanen",
            "aino@example.org",
            "Practise in pairs: explaining a decision to a child in words the child understands; using an "
            "interpreter with a child.",
        ),
        (1, "16:45", "17:00", "plenary", "Reflections on the first day", "", extra["opening"], ""),
        (
            2,
            "09:00",
            "10:30",
            "plenary",
            "Cross-border case management: working with the authorities of another country",
            "Jonas Petrauskas, Olga Smirnova",
            "expert@example.org",
            "Contact points, consent and data protection, and how to keep the child informed while two "
            "countries' authorities decide.",
        ),
        (2, "10:30", "10:45", "break", "Coffee break", "", None, ""),
        (
            2,
            "10:45",
            "12:15",
            "panel",
            f"Interagency cooperation in {city}: who does what",
            local_panel,
            extra["panel"],
            "Police, child welfare, the prosecutor's office and NGOs describe one referral "
            "together; questions from the floor.",
        ),
        (2, "12:15", "13:15", "meal", "Lunch", "", None, ""),
        (
            2,
            "13:15",
            "14:45",
            "workshop",
            "Risk assessment and durable solutions",
            "Sigrid Haugen",
            "sigrid@example.org",
            "Return, integration or resettlement: how the assessment is made and documented with the child's "
            "view on record.",
        ),
        (
            2,
            "14:45",
            "15:30",
            "plenary",
            "Evaluation, certificates and closing",
            host,
            extra["opening"],
            "Participants' evaluation forms; the network of trained professionals and how to stay in touch.",
        ),
    ]


EVENTS = [
    {
        "slug": "copenhagen-2015-launch",
        "title": "Expert group launch meeting",
        "city": "Copenhagen",
        "country": "DK",
        "venue": "Nordic Council of Ministers, Ved Stranden",
        "first_day": date(2015, 9, 22),
        "status": "completed",
        "language": "English",
        "capacity": 20,
        "proposed_by": "admin@example.org",
        "description": (
            "The meeting that launched **PROTECT Children on the Move**: experts from the Nordic countries, the "
            "Baltic States and North-West Russia define the way forward in content and practicalities — what "
            "the trainings teach, for whom, and where they are held."
        ),
        "slots": LAUNCH,
    },
    {
        "slug": "riga-2016-training",
        "day_start": time(8, 30),  # registration from 08:30
        "title": "Protecting children on the move: training in Riga",
        "city": "Riga",
        "country": "LV",
        "venue": "Ministry of Welfare conference hall",
        "first_day": date(2016, 3, 15),
        "status": "completed",
        "language": "English, with Latvian interpretation",
        "capacity": 40,
        "proposed_by": "moderator@example.org",
        "description": (
            "The first 2-day training of the series, for professionals from Latvia who handle transnational "
            "child protection cases: recognising exploitation and trafficking, and working across sectors and "
            "borders with the child's rights as the common baseline."
        ),
        "slots": training(
            "Riga",
            "Kristīne Bērziņa",
            "State Police; Orphan's and Custody Court; State Inspectorate for Protection of Children's Rights; "
            "a shelter NGO",
            "Case study: a 15-year-old found working in a café far from home",
            {"opening": "moderator@example.org", "panel": "moderator@example.org"},
        ),
    },
    {
        "slug": "tallinn-2016-training",
        "day_start": time(8, 30),  # registration from 08:30
        "title": "Protecting children on the move: training in Tallinn",
        "city": "Tallinn",
        "country": "EE",
        "venue": "Social Insurance Board training centre",
        "first_day": date(2016, 5, 24),
        "status": "completed",
        "language": "English, with Estonian and Russian interpretation",
        "capacity": 40,
        "proposed_by": "kadri@example.org",
        "description": (
            "The second training, in Tallinn: the ferry route between Tallinn and Helsinki and what it means "
            "for children travelling alone."
        ),
        "slots": training(
            "Tallinn",
            "Kadri Tamm",
            "Police and Border Guard Board; child protection worker of Tallinn; Victim support; an NGO for "
            "unaccompanied children",
            "Case study: two siblings stopped at the ferry terminal without their parents",
            {"opening": "kadri@example.org", "panel": "kadri@example.org"},
        ),
    },
    {
        "slug": "vilnius-2016-training",
        "day_start": time(8, 30),  # registration from 08:30
        "title": "Protecting children on the move: training in Vilnius",
        "city": "Vilnius",
        "country": "LT",
        "venue": "Ministry of Social Security and Labour",
        "first_day": date(2016, 9, 27),
        "status": "completed",
        "language": "English, with Lithuanian interpretation",
        "capacity": 45,
        "proposed_by": "expert@example.org",
        "description": "The third training, in Vilnius, with a stronger part for police and prosecutors.",
        "slots": training(
            "Vilnius",
            "Jonas Petrauskas",
            "Police Department; State Child Rights Protection and Adoption Service; the prosecutor's office; Caritas",
            "Case study: a boy returned from abroad, and the exploitation he does not talk about",
            {"opening": "expert@example.org", "panel": "expert@example.org"},
        ),
    },
    {
        "slug": "st-petersburg-2027-training",
        "day_start": time(8, 30),  # registration from 08:30
        "title": "Protecting children on the move: training in St Petersburg",
        "city": "St Petersburg",
        "country": "RU",
        "venue": "",
        "first_day": date(2027, 3, 16),
        "status": "confirmed",
        "language": "English and Russian",
        "capacity": 40,
        "proposed_by": "olga@example.org",
        "description": (
            "A training for professionals of North-West Russia, drafted together with the social services of "
            "St Petersburg. Times are Moscow time."
        ),
        "slots": training(
            "St Petersburg",
            "Olga Smirnova",
            "Social services of St Petersburg; the Ombudsman for children; police; an NGO for street children",
            "Case study: a girl who left a children's home and was found in another country",
            {"opening": "olga@example.org", "panel": "olga@example.org"},
        ),
    },
    {
        "slug": "helsinki-2027-training",
        "title": "Protecting children on the move: training in Helsinki",
        "city": "Helsinki",
        "country": "FI",
        "venue": "",
        "first_day": date(2027, 5, 25),
        "status": "proposed",
        "language": "English",
        "capacity": 35,
        "proposed_by": "aino@example.org",
        "description": "Proposed for spring 2027. The agenda is a first draft; the afternoon of day 1 still overlaps.",
        "slots": [
            (
                1,
                "09:00",
                "09:30",
                "plenary",
                "Opening and introduction to the PROTECT Guidelines",
                "Aino Virtanen",
                "aino@example.org",
                "",
            ),
            (
                1,
                "09:30",
                "11:00",
                "plenary",
                "The child's best interests as a common baseline",
                "Guðrún Jónsdóttir",
                "gudrun@example.org",
                "",
            ),
            (1, "11:00", "11:15", "break", "Coffee break", "", None, ""),
            (
                1,
                "11:15",
                "12:45",
                "workshop",
                "Identification of victims: indicators of exploitation and trafficking",
                "Erik Lindqvist",
                "erik@example.org",
                "",
            ),
            (1, "12:30", "13:30", "meal", "Lunch", "", None, "To check: the workshop before runs into lunch."),
            (1, "13:30", "15:00", "workshop", "Hearing the child", "Aino Virtanen", "aino@example.org", ""),
            (
                2,
                "09:00",
                "10:30",
                "plenary",
                "Cross-border case management",
                "Jonas Petrauskas",
                "expert@example.org",
                "",
            ),
            (
                2,
                "10:45",
                "12:15",
                "panel",
                "Interagency cooperation in Finland: who does what",
                "Police, child welfare, the Finnish Immigration Service, an NGO",
                "aino@example.org",
                "",
            ),
        ],
    },
]


def _t(text: str) -> time:
    return time.fromisoformat(text)


def seed_agendas() -> None:
    for spec in EVENTS:
        if db.session.execute(select(TrainingEvent.id).where(TrainingEvent.slug == spec["slug"])).first():
            continue
        _seed_event(spec)
    db.session.commit()


def _seed_event(spec: dict) -> None:
    proposer = demo_user(spec["proposed_by"])
    drafted = min(datetime.combine(spec["first_day"], time(9)) - timedelta(days=60), datetime(2026, 10, 1))
    event = TrainingEvent(
        slug=spec["slug"],
        title=spec["title"],
        city=spec["city"],
        country=spec["country"],
        time_zone=services.event_time_zone(spec["city"], spec["country"]),
        venue=spec["venue"],
        first_day=spec["first_day"],
        days=2,
        day_start=spec.get("day_start", time(9, 0)),
        day_end=time(17, 0),
        audiences=list(ALL_AUDIENCES),
        language=spec["language"],
        capacity=spec["capacity"],
        description=spec["description"],
        status=spec["status"],
        proposed_by_id=proposer.id,
        created_at=drafted,
        updated_at=drafted,
    )
    db.session.add(event)
    db.session.flush()
    db.session.add(
        AgendaChange(
            event_id=event.id,
            user_id=proposer.id,
            created_at=drafted,
            action="event.created",
            fields=[],
            before=None,
            after=services.event_snapshot(event),
        )
    )
    for position, (day, start, end, kind, title, speakers, responsible, notes) in enumerate(spec["slots"], 1):
        person = demo_user(responsible) if responsible else None
        author = person or proposer
        when = drafted + timedelta(days=1, minutes=position * 7)
        item = AgendaItem(
            event_id=event.id,
            day=day,
            start=_t(start),
            end=_t(end),
            title=title,
            kind=kind,
            speakers=speakers,
            responsible_id=person.id if person else None,
            notes=notes,
            position=position,
            created_at=when,
            updated_at=when,
            updated_by_id=author.id,
        )
        db.session.add(item)
        db.session.flush()
        db.session.add(
            AgendaChange(
                event_id=event.id,
                item_id=item.id,
                user_id=author.id,
                created_at=when,
                action="item.created",
                fields=[],
                before=None,
                after=services.item_snapshot(item),
            )
        )
    event.agenda_version = 1 + len(spec["slots"])
    audit.record(
        proposer,
        "agendas.event_proposed",
        event,
        summary=N_("proposed the training “%(title)s”"),
        params={"title": event.title},
        url=services.event_url(event.id),
    )
    db.session.flush()
