"""Demo programme pages for the demo trainings (seeded by the agendas feature before this runs).

- Riga, Tallinn and Vilnius 2016: published (Tallinn twice: a correction was published over the first version).
- St Petersburg 2027: published, and a new version with the venue is in review.
- Helsinki 2027: a draft, sent back once by a moderator.
- The Copenhagen launch meeting is not a training: it has no public page.
- Translations: Riga in Latvian and St Petersburg in Russian (current), Tallinn in Estonian (made from
  version 1, so out of date since the correction of version 2).

Idempotent: an event that has a page already, or that does not exist, is skipped.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from protect.agendas.models import TrainingEvent
from protect.auth.demo import demo_user
from protect.core.database import utcnow
from protect.core.regions import country_name
from protect.extensions import db
from protect.programme import services, translations
from protect.programme.models import InterestRegistration, ProgrammePage, ProgrammeTranslation

TAKE_PART = """The training is free of charge. Lunch and coffee are provided on both days.

- **Who can come:** professionals of {country} who handle cases of children on the move — police and border
  guards, child welfare and social services, NGOs, child rights advocates and prosecutors.
- **Places:** {capacity}, with a balance between the sectors so that every working group has at least two.
- **Travel:** the project covers travel and one night's accommodation for participants from outside {city}.
- **How:** register your interest with the form on this page. The host sends the invitations about
  six weeks before the training.

Questions: the Children's Unit of the Council of the Baltic Sea States, [cbss.org](https://cbss.org)."""

DESCRIPTION = """Children on the move are at risk of exploitation and trafficking where the authorities of
two countries, or two sectors, do not work together. This 2-day training, based on the **PROTECT
Guidelines**, brings together the professionals who meet these children in {city}.

Participants learn to

- recognise indicators of exploitation and trafficking, in the first hour after a suspicion;
- assess the child's best interests with the child heard and informed;
- work across borders with the authorities of another country, from first contact to a durable solution.

{local}

The training follows the UN Convention on the Rights of the Child. It is prepared by experts of the region
in the PROTECT Children on the Move project of the Nordic Council of Ministers and the Council of the Baltic
Sea States."""

PAGES = {
    "riga-2016-training": {
        "summary": "Two days for police, child welfare officials, NGOs and child rights advocates of Latvia on "
        "protecting children on the move from exploitation and trafficking.",
        "local": "The case study follows a 15-year-old found working far from home; on day 2 the State Police, "
        "the Orphan's and Custody Court and a shelter NGO describe one referral together.",
        "author": "moderator@example.org",
        "steps": [("published", "2016-01-18")],
    },
    "tallinn-2016-training": {
        "summary": "The second training of the series: the ferry route between Tallinn and Helsinki, and what it "
        "means for children travelling alone.",
        "local": "The case study: two siblings stopped at the ferry terminal without their parents. Interpretation "
        "into Estonian and Russian on both days.",
        "author": "kadri@example.org",
        # Version 1 forgot the Russian interpretation; version 2 corrects it.
        "first_language": "English, with Estonian interpretation",
        "steps": [("published", "2016-03-29"), ("republished", "2016-04-12")],
    },
    "vilnius-2016-training": {
        "summary": "The third training, in Vilnius, with a longer part for police officers and prosecutors.",
        "local": "The case study: a boy returned from abroad, and the exploitation he does not talk about.",
        "author": "expert@example.org",
        "steps": [("published", "2016-08-01")],
    },
    "st-petersburg-2027-training": {
        "summary": "A training for professionals of North-West Russia, drafted with the social services of "
        "St Petersburg: identification, hearing the child and cross-border case work.",
        "local": "The case study: a girl who left a children's home and was found in another country. Working "
        "languages English and Russian.",
        "author": "olga@example.org",
        "steps": [("published", "2026-10-05"), ("in_review", "2026-11-20")],
    },
    "helsinki-2027-training": {
        "summary": "Spring 2027 in Helsinki: the PROTECT Guidelines in practice for Finnish professionals.",
        "local": "",
        "author": "aino@example.org",
        "steps": [("sent_back", "2026-11-10")],
    },
}

# Translations of the demo pages: translator, the page's version translated, the days of its steps, the texts.
TRANSLATIONS = {
    ("riga-2016-training", "lv"): {
        "translator": "moderator@example.org",
        "from_version": 1,
        "published": "2016-01-25",
        "title": "Ceļā esošu bērnu aizsardzība: apmācība Rīgā",
        "summary": "Divas dienas Latvijas policistiem, bērnu labklājības speciālistiem, NVO un bērnu tiesību "
        "aizstāvjiem par ceļā esošu bērnu aizsardzību pret ekspluatāciju un cilvēku tirdzniecību.",
        "description": "Ceļā esoši bērni ir pakļauti ekspluatācijas un cilvēku tirdzniecības riskam, ja divu "
        "valstu vai divu nozaru iestādes nesadarbojas. Šī divu dienu apmācība, kas balstīta uz **PROTECT "
        "vadlīnijām**, pulcē speciālistus, kuri Rīgā satiek šos bērnus.",
        "how_to_take_part": "Dalība apmācībā ir bez maksas. Pieteikt savu interesi var ar veidlapu šajā lapā; "
        "rīkotājs izsūta uzaicinājumus apmēram sešas nedēļas pirms apmācības.",
    },
    ("tallinn-2016-training", "et"): {
        "translator": "kadri@example.org",
        "from_version": 1,
        "published": "2016-04-05",
        "title": "Liikvel olevate laste kaitse: koolitus Tallinnas",
        "summary": "Sarja teine koolitus: Tallinna ja Helsingi vaheline laevaliin ja mida see tähendab üksi "
        "reisivatele lastele.",
        "description": "Liikvel olevad lapsed on ärakasutamise ja inimkaubanduse ohus, kui kahe riigi või kahe "
        "valdkonna asutused ei tee koostööd. See kahepäevane koolitus, mis põhineb **PROTECTi suunistel**, toob "
        "kokku spetsialistid, kes puutuvad nende lastega kokku Tallinnas.",
        "how_to_take_part": "Koolitus on tasuta. Andke oma huvist teada selle lehe vormiga; korraldaja saadab "
        "kutsed umbes kuus nädalat enne koolitust.",
    },
    ("st-petersburg-2027-training", "ru"): {
        "translator": "olga@example.org",
        "from_version": 1,
        "published": "2026-10-12",
        "title": "Защита детей в пути: тренинг в Санкт-Петербурге",
        "summary": "Тренинг для специалистов Северо-Запада России, подготовленный вместе с социальными службами "
        "Санкт-Петербурга: выявление, заслушивание ребёнка и трансграничная работа со случаями.",
        "description": "Дети в пути подвергаются риску эксплуатации и торговли людьми там, где органы двух стран "
        "или двух секторов не работают вместе. Этот двухдневный тренинг, основанный на **Руководящих принципах "
        "PROTECT**, объединяет специалистов, которые встречают таких детей в Санкт-Петербурге.",
        "how_to_take_part": "Участие бесплатное. Сообщите о своём интересе через форму на этой странице; "
        "приглашения рассылаются примерно за шесть недель до тренинга.",
    },
}

REGISTRATIONS = [
    ("Anna Volkova", "anna.volkova@example.org", "District social services, Vyborg", "RU", "child_welfare"),
    ("Pavel Orlov", "p.orlov@example.org", "Juvenile affairs inspectorate", "RU", "law_enforcement"),
    ("Laura Mäkinen", "laura.makinen@example.org", "Save the children's rights network", "FI", "ngo"),
]


def _day(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(hour=10)


def seed_programme() -> None:
    moderator = demo_user("moderator@example.org")
    second_moderator = demo_user("sigrid@example.org")
    for slug, spec in PAGES.items():
        event = db.session.execute(select(TrainingEvent).where(TrainingEvent.slug == slug)).scalar_one_or_none()
        if event is None:
            continue
        if db.session.execute(select(ProgrammePage.id).where(ProgrammePage.event_id == event.id)).first():
            continue
        _seed_page(event, spec, moderator, second_moderator)
    for (slug, language), spec in TRANSLATIONS.items():
        _seed_translation(slug, language, spec, second_moderator)
    db.session.commit()


def _seed_translation(slug: str, language: str, spec: dict, moderator) -> None:
    page = db.session.execute(select(ProgrammePage).where(ProgrammePage.slug == slug)).scalar_one_or_none()
    if page is None or page.live_version is None:
        return
    exists = db.session.execute(
        select(ProgrammeTranslation.id).where(
            ProgrammeTranslation.page_id == page.id, ProgrammeTranslation.language == language
        )
    ).first()
    if exists:
        return
    translator = demo_user(spec["translator"])
    published = _day(spec["published"])
    texts = {name: spec[name] for name in translations.TRANSLATABLE}
    translation = translations.create(translator, page.id, language, when=published - timedelta(days=5))
    translation = translations.save(
        translator,
        page.id,
        language,
        translation.version,
        texts,
        spec["from_version"],
        when=published - timedelta(days=4),
    )
    translation = translations.submit(
        translator, page.id, language, translation.version, when=published - timedelta(days=3)
    )
    translation = translations.approve(
        moderator, page.id, language, translation.version, when=published - timedelta(days=1)
    )
    translations.publish(moderator, page.id, language, translation.version, when=published)


def _values(page: ProgrammePage, **changes) -> dict:
    values = {name: getattr(page, name) for name in services.PAGE_FIELDS}
    values.update(changes)
    return values


def _seed_page(event: TrainingEvent, spec: dict, moderator, second_moderator) -> None:
    author = demo_user(spec["author"])
    first_step = _day(spec["steps"][0][1])
    page = services.create_page(author, event.id, when=first_step - timedelta(days=14))
    description = DESCRIPTION.format(city=event.city, local=spec["local"])
    take_part = TAKE_PART.format(country=country_name(event.country), capacity=event.capacity or 30, city=event.city)
    page = services.save_page(
        author,
        page.id,
        page.version,
        _values(
            page,
            summary=spec["summary"],
            description=description.replace("\n\n\n", "\n\n"),
            how_to_take_part=take_part,
            language=spec.get("first_language", event.language),
        ),
        when=first_step - timedelta(days=10),
    )

    for step, day in spec["steps"]:
        when = _day(day)
        if step == "republished":
            # A correction published over the first version.
            page = services.save_page(
                author, page.id, page.version, _values(page, language=event.language), when=when - timedelta(days=4)
            )
        if step in ("published", "republished"):
            services.submit(author, page.id, page.version, "Ready for review.", when=when - timedelta(days=3))
            services.approve(moderator, page.id, page.version, when=when - timedelta(days=1))
            services.publish(moderator, page.id, page.version, when=when)
        elif step == "in_review":
            # The venue is now known: a new version waits for a moderator while the first one stays public.
            venue = "Training centre of the city's social services, Nevsky district"
            page = services.save_page(
                author, page.id, page.version, _values(page, venue=venue), when=when - timedelta(days=1)
            )
            services.submit(author, page.id, page.version, "The venue is confirmed; please publish it.", when=when)
        elif step == "sent_back":
            services.submit(author, page.id, page.version, "First draft.", when=when - timedelta(days=2))
            services.send_back(
                second_moderator,
                page.id,
                page.version,
                "Thank you, Aino. Two things before this can go public: the agenda of day 1 still has the "
                "identification workshop running into lunch, and “How to take part” should say who pays travel "
                "for participants from Åland and Lapland.",
                when=when,
            )
    if page.live_version and event.first_day > utcnow().date():
        for number, (name, email, organisation, country, sector) in enumerate(REGISTRATIONS, 1):
            received = _day("2026-10-20") + timedelta(days=number)
            db.session.add(
                InterestRegistration(
                    page_id=page.id,
                    reference=services.new_reference(),
                    name=name,
                    email=email,
                    organisation=organisation,
                    country=country,
                    sector=sector,
                    message="" if number != 1 else "I would need the materials in Russian, if possible.",
                    consent_text=services.consent_text(180),
                    consented_at=received,
                    created_at=received,
                    snapshot_version=page.live_version,
                    training_ends_on=event.last_day,
                )
            )
    db.session.flush()
