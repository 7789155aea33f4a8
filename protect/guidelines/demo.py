"""Demo Guidelines: a working draft of the PROTECT Guidelines on cross-national child protection, grounded
in the UN Convention on the Rights of the Child, as the expert group revises it after the Copenhagen launch
meeting of September 2015. Some proposals are open, one was accepted (which left another outdated), one was
rejected; comment threads run on several of them.

Idempotent: a document whose slug exists is left alone. The text is ours, written for this workspace.
"""

# ruff: noqa: E501 - the sections are Markdown prose, one paragraph per line, as an author would write them.
from __future__ import annotations

from sqlalchemy import select

from protect.auth.demo import demo_user
from protect.extensions import db
from protect.guidelines import services
from protect.guidelines.models import Guideline, GuidelineSection, SectionRevision
from protect.notifications.mentions import mention

SLUG = "protect-guidelines"
TITLE = "PROTECT Guidelines: cross-national child protection in practice"
SUMMARY = (
    "Practical guidance for police, child welfare officials, NGOs and child rights advocates in the Baltic Sea "
    "Region who handle the cases of children on the move at risk of exploitation and trafficking. The guidance "
    "rests on the UN Convention on the Rights of the Child (CRC): the child's human rights and best interests "
    "are the common baseline across sectors and borders. This working draft is revised by the expert group "
    "that met in Copenhagen in September 2015; the 2-day trainings are built on it."
)

SECTIONS: list[tuple[str, str]] = [
    (
        "Purpose and scope",
        """These Guidelines help professionals act together when a child on the move may be at risk of exploitation or trafficking. They apply whenever a case involves more than one country: a child who arrived alone, a child moved across a border by adults, a child who goes missing from care and reappears in another state.

A **child** is every person below the age of 18 (CRC, Article 1). Where age is uncertain and there are reasons to believe that the person is a child, they are treated as a child until an assessment says otherwise.

The Guidelines do not replace national law. They describe how the obligations that every state in the region accepted under the CRC translate into daily casework: who to call, what to ask, what to record, and how to hand over a case without losing the child.""",
    ),
    (
        "The child's best interests",
        """In all actions concerning children, the best interests of the child shall be a primary consideration (CRC, Article 3). In a cross-border case this applies to each authority separately and to the decisions they take together.

A **best interests assessment** weighs the child's safety, family relations, identity, health, education and the child's own views. It is documented, so that the next authority, in this country or another, can see what was considered and why.

Speed matters, but a fast decision is not automatically a good one. A return arranged within days without an assessment of the home situation is not in the child's best interests merely because it ends the case.

When the interests of the child and the interests of an investigation or a migration procedure pull in different directions, the conflict is named in the file and resolved by a decision-maker who is responsible for the child, not by default.""",
    ),
    (
        "The right to be heard",
        """Every child capable of forming views has the right to express them freely in all matters affecting them, and those views are given due weight in accordance with age and maturity (CRC, Article 12).

Hearing the child means more than asking questions. The child is told, in a language they understand, who the professional is, what will happen with what they say, and what decisions are being taken.

Children who have been exploited often distrust adults in authority. One consistent contact person, time, and a safe place for the conversation do more than a formal interview.

The child's views are recorded in their own words where possible, and the record shows how they influenced the decision.""",
    ),
    (
        "Identification of children at risk",
        """Identification is the first protective act. A child who is not recognised as being at risk cannot be protected, and an exploited child treated only as an offender or an irregular migrant is harmed again.

Indicators include: the child does not hold their own documents; an adult speaks for the child and the relationship is unclear; the child owes a debt for the journey; the child works long hours or is not in school; the child is moved often between addresses or countries.

No single indicator is proof. Professionals who see indicators do not wait for certainty: they share their concern with child welfare services at once.

Police, border guards, health staff, teachers and NGO outreach workers are all first-line identifiers. Each service names a person who knows the referral route and can be reached outside office hours.""",
    ),
    (
        "Risk assessment",
        """Every identified child receives an individual risk assessment, started within 24 hours and updated whenever new information arrives.

The assessment covers the risk of the child going missing, the risk of renewed contact with exploiters, risks in the family and the community of origin, and the child's own resilience and resources.

Risks in another country are assessed with the authorities of that country, through the channels described in the section on cross-border cooperation. An assessment made without them is marked as incomplete.

The assessment leads to a safety plan: where the child stays, who may contact them, what happens if they disappear, and who is responsible for each step.""",
    ),
    (
        "Interagency cooperation",
        """No single agency can protect a child on the move. Child welfare services lead the case; police, prosecutors, migration authorities, guardians, health and education services and NGOs contribute within their mandates.

Each case has a lead professional in child welfare services who convenes the others, keeps the case plan and is the contact point for colleagues abroad.

Information is shared on a need-to-know basis, with the child's best interests as the test. Confidentiality rules protect the child; they are not a reason to leave a colleague without the information needed to keep the child safe.

Regular case conferences bring the agencies together. The child and the guardian are informed of their outcome and, where appropriate, take part.""",
    ),
    (
        "Cross-border cooperation",
        """When a case involves another country, contact is made early, before decisions are final. The Central Authorities under the 1996 Hague Child Protection Convention, liaison officers, embassies and the Children's Unit of the Council of the Baltic Sea States can help find the right counterpart.

A request to another country states what is known about the child, what is asked for, and by when. It is written so that a colleague who has never seen the file can act on it.

Colleagues abroad receive the same respect for the child's privacy as colleagues at home. Personal data are sent through secure channels and only as far as the purpose requires.

When a child moves to another country, responsibility is handed over explicitly: the receiving authority confirms that it has taken over the case, and the sending authority stays available until then.""",
    ),
    (
        "Care and protection while the case is open",
        """A child identified as at risk is placed in safe accommodation suited to their age and needs, never in detention because of their migration status.

Every unaccompanied or separated child has a guardian or representative appointed without delay (CRC, Articles 18, 20 and 22). The guardian is independent of the authorities deciding the case.

The child has access to health care, including psychological support, to education, and to legal advice. Services are provided whether or not the child cooperates with an investigation.

Children who go missing from care are reported as missing at once and searched for as children at risk, not as absconders.""",
    ),
    (
        "Durable solutions",
        """A durable solution secures the child's long-term safety and development: integration in the country where the child is, return to the country of origin, or resettlement in a third country.

The choice follows a best interests determination that considers family tracing and assessment, the child's views, and conditions in each possible country. Return is only an option when safe and adequate care is assured on arrival.

Families are reunited where this is in the child's best interests (CRC, Articles 9 and 10), and tracing does not put the child or family members at risk.

The solution is followed up. After a return or a transfer, the authorities agree who checks on the child and when, and what happens if the arrangement fails.""",
    ),
]

# section number -> proposals (author email, summary, text replacing the paragraph numbers given)
PROPOSALS = {
    "right_to_be_heard": (
        3,
        "aino@example.org",
        "Add interpretation and child-friendly information, which our shelters see missing most often.",
        {
            2: "Hearing the child means more than asking questions. The child is told, in a language they understand "
            "and with a qualified interpreter where needed, who the professional is, what will happen with what they "
            "say, and what decisions are being taken. Written information is given in a child-friendly form.",
        },
    ),
    "identification_accepted": (
        4,
        "erik@example.org",
        "Border police see online recruitment more and more; name it among the indicators.",
        {
            2: "Indicators include: the child does not hold their own documents; an adult speaks for the child and "
            "the relationship is unclear; the child owes a debt for the journey; the child works long hours or is "
            "not in school; the child is moved often between addresses or countries; the child was recruited or is "
            "controlled through social media or messaging apps.",
        },
    ),
    "identification_outdated": (
        4,
        "tomasz@example.org",
        "First-line identifiers need training, not only a contact person.",
        {
            4: "Police, border guards, health staff, teachers and NGO outreach workers are all first-line identifiers. "
            "Each service names a person who knows the referral route and can be reached outside office hours, and "
            "trains its staff in the indicators at least once a year.",
        },
    ),
    "risk_assessment": (
        5,
        "olga@example.org",
        "Ask for the child's own view of the risks; children often know best who is looking for them.",
        {
            2: "The assessment covers the risk of the child going missing, the risk of renewed contact with "
            "exploiters, risks in the family and the community of origin, and the child's own resilience and "
            "resources. The child is asked what they themselves fear and whom they trust.",
        },
    ),
    "cross_border_rejected": (
        7,
        "expert@example.org",
        "Let police send requests abroad directly, to save time.",
        {
            2: "A request to another country may be sent directly by the police officer in charge of the case. It "
            "states what is known about the child, what is asked for, and by when.",
        },
    ),
    "cross_border_open": (
        7,
        "expert@example.org",
        "Set a response time for urgent requests between countries.",
        {
            2: "A request to another country states what is known about the child, what is asked for, and by when. "
            "It is written so that a colleague who has never seen the file can act on it. An urgent request, where "
            "the child may go missing or be moved, is answered within 48 hours, even if only to confirm receipt.",
        },
    ),
    "durable_solutions": (
        9,
        "gudrun@example.org",
        "Make clear that the child's views count in the choice of solution, as in Iceland's practice.",
        {
            2: "The choice follows a best interests determination that considers family tracing and assessment, the "
            "child's views, which are given due weight, and conditions in each possible country. Return is only an "
            "option when safe and adequate care is assured on arrival, and the child has been heard about it.",
        },
    ),
}


def _replace(body: str, replacements: dict[int, str]) -> str:
    paragraphs = body.split("\n\n")
    for number, text in replacements.items():
        paragraphs[number - 1] = text
    return "\n\n".join(paragraphs)


def seed_guidelines() -> None:
    if db.session.execute(select(Guideline.id).where(Guideline.slug == SLUG)).first():
        return
    kristine = demo_user("moderator@example.org")
    sigrid = demo_user("sigrid@example.org")
    guideline = services.create_guideline(kristine, TITLE, SUMMARY, slug=SLUG)
    sections: dict[int, GuidelineSection] = {}
    for number, (heading, body) in enumerate(SECTIONS, start=1):
        sections[number] = services.add_section(
            kristine,
            guideline.id,
            heading,
            body,
            "The text agreed at the launch meeting in Copenhagen, September 2015.",
        )

    revisions: dict[str, SectionRevision] = {}
    for key, (number, email, summary, replacements) in PROPOSALS.items():
        section = sections[number]
        current = db.session.get(SectionRevision, section.current_revision_id)
        revisions[key] = services.propose_revision(
            demo_user(email), section.id, current.id, _replace(current.body, replacements), summary
        )

    # Section 4: Erik's proposal is accepted, which leaves Tomasz's (based on the older text) outdated.
    accepted = revisions["identification_accepted"]
    services.add_comment(
        demo_user("kadri@example.org"),
        accepted.id,
        "Yes. Half of the girls our NGO met in Tallinn last year were first contacted online.",
        paragraph=2,
    )
    services.accept_revision(
        kristine, accepted.id, "Agreed at the October call: online recruitment is now the most common route we see."
    )

    # Section 7: the direct-request idea is rejected; the response-time proposal stays open.
    rejected = revisions["cross_border_rejected"]
    services.add_comment(
        sigrid,
        rejected.id,
        "Direct police-to-police requests exist already for criminal matters. For child protection the request "
        "must go through child welfare, or the child's case ends up split between two files.",
        paragraph=2,
    )
    services.reject_revision(
        sigrid,
        rejected.id,
        "Child welfare leads the case (see “Interagency cooperation”); requests abroad go through the lead "
        "professional. Jonas will propose a response time instead.",
    )

    # Comment threads on the open proposals (one mentions the demo expert: the outbox shows its e-mail).
    heard = revisions["right_to_be_heard"]
    jonas = demo_user("expert@example.org")
    thread = services.add_comment(
        demo_user("olga@example.org"),
        heard.id,
        "In St Petersburg we often cannot find a qualified interpreter for Dari or Tigrinya within a day. Should the "
        "text say what to do meanwhile?",
        paragraph=2,
    )
    services.add_comment(
        demo_user("kadri@example.org"),
        heard.id,
        "Telephone interpretation works for a first conversation; we use it in Tallinn. The formal hearing waits for "
        "a qualified interpreter. "
        + mention(jonas.id, jonas.display_name)
        + ", could Vilnius share the list of interpreters it uses for child interviews?",
        parent_id=thread.id,
    )
    services.add_comment(
        demo_user("aino@example.org"),
        heard.id,
        "Good point: I will add a sentence on remote interpretation if the group agrees.",
        parent_id=thread.id,
    )
    resolved = services.add_comment(
        demo_user("gudrun@example.org"),
        heard.id,
        "**Child-friendly** is vague. Can we link to the Council of Europe guidance on child-friendly information?",
    )
    services.add_comment(
        demo_user("aino@example.org"), heard.id, "Linked in my notes for the training handout.", parent_id=resolved.id
    )
    services.set_resolved(demo_user("gudrun@example.org"), resolved.id, True)

    risk = revisions["risk_assessment"]
    question = services.add_comment(
        demo_user("expert@example.org"),
        risk.id,
        "From the police side: the child's own account of who is looking for them has saved investigations. "
        "I support this.",
        paragraph=2,
    )
    services.add_comment(
        sigrid,
        risk.id,
        "Agreed. We should also say that the child's fears are recorded even when they seem unlikely.",
        parent_id=question.id,
    )
    services.add_comment(
        demo_user("erik@example.org"),
        risk.id,
        "Is 24 hours realistic at a border crossing on a weekend? Malmö manages, smaller posts may not.",
        paragraph=1,
    )

    open_request = revisions["cross_border_open"]
    services.add_comment(
        demo_user("tomasz@example.org"),
        open_request.id,
        "48 hours would help a lot. Gdańsk has waited two weeks for an answer from a municipality.",
        paragraph=2,
    )

    solutions = revisions["durable_solutions"]
    services.add_comment(
        demo_user("aino@example.org"),
        solutions.id,
        "Finland's practice is similar. Perhaps mention the guardian's role in the hearing as well?",
        paragraph=2,
    )
    db.session.commit()
