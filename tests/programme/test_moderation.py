"""The members' side over HTTP: starting and editing pages, the workflow actions (plain posts and htmx),
previews and versions, who may do what, the diff before publishing, the dashboard and query counts."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from protect.core.database import utcnow
from protect.extensions import db
from protect.programme.models import ProgrammePage, ProgrammeSnapshot
from tests.conftest import count_queries
from tests.factories import make_user
from tests.programme.factories import (
    COMPLETE,
    add_item,
    approve,
    edit,
    make_event,
    make_page,
    page_in_state,
    published_page,
    submit,
)


def page_form(page: ProgrammePage, **changes) -> dict:
    data = {
        "title": page.title,
        "summary": page.summary,
        "description": page.description,
        "how_to_take_part": page.how_to_take_part,
        "audiences": list(page.audiences),
        "language": page.language,
        "venue": page.venue,
        "version": str(page.version),
    }
    data.update(changes)
    return data


def fresh(page_id: int) -> ProgrammePage:
    db.session.expire_all()
    return db.session.get(ProgrammePage, page_id)


# Starting and editing -----------------------------------------------------------------------------------------


def test_an_expert_starts_a_page_for_a_training_and_completes_it(expert_client, expert):
    event = make_event(title="Protecting children on the move: training in Riga", description="For **Latvia**.")
    listing = expert_client.get("/publishing/").get_data(as_text=True)
    assert "Trainings without a programme page" in listing and event.title in listing
    response = expert_client.post("/publishing/new", data={"event_id": event.id})
    assert response.status_code == 303
    page = db.session.execute(select(ProgrammePage)).scalar_one()
    assert response.headers["Location"] == f"/publishing/{page.id}/edit"
    assert (page.title, page.slug, page.state, page.created_by_id) == (event.title, event.slug, "draft", expert.id)
    assert page.description == "For **Latvia**." and page.audiences == ["law_enforcement", "child_welfare"]
    form = expert_client.get(f"/publishing/{page.id}/edit")
    assert form.status_code == 200 and 'name="version" value="1"' in form.get_data(as_text=True)
    saved = expert_client.post(f"/publishing/{page.id}/edit", data=page_form(page, **COMPLETE, title="Riga 2027"))
    assert saved.status_code == 303 and saved.headers["Location"] == f"/publishing/{page.id}"
    page = fresh(page.id)
    assert page.title == "Riga 2027" and page.summary == COMPLETE["summary"] and page.version == 2
    assert page.updated_by_id == expert.id


def test_starting_a_page_twice_or_for_no_event_is_refused(expert_client, expert):
    event = make_event()
    expert_client.post("/publishing/new", data={"event_id": event.id})
    twice = expert_client.post("/publishing/new", data={"event_id": event.id})
    assert twice.status_code == 409 and "has a programme page already" in twice.get_data(as_text=True)
    assert expert_client.post("/publishing/new", data={"event_id": 999999}).status_code == 404
    assert expert_client.post("/publishing/new", data={}).status_code == 422


def test_an_invalid_edit_is_refused_with_422_and_the_input_kept(expert_client, expert):
    page = make_page(expert)
    response = expert_client.post(
        f"/publishing/{page.id}/edit", data=page_form(page, title="", summary="Kept summary", audiences=["spies"])
    )
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "Enter the title the public sees." in body and "Kept summary" in body
    assert fresh(page.id).version == page.version
    too_long = expert_client.post(f"/publishing/{page.id}/edit", data=page_form(page, summary="x" * 301))
    assert too_long.status_code == 422 and "At most 300 characters." in too_long.get_data(as_text=True)
    no_version = expert_client.post(f"/publishing/{page.id}/edit", data=page_form(page, version="abc"))
    assert no_version.status_code == 422 and "which version it began from" in no_version.get_data(as_text=True)


def test_a_stale_edit_gets_409_with_both_texts_and_saving_again_keeps_mine(client_for, expert):
    page = make_page(expert, summary="The original summary.")
    other = make_user("expert", display_name="Olga Smirnova")
    started = page_form(page)
    assert (
        client_for(other).post(f"/publishing/{page.id}/edit", data=page_form(page, summary="Theirs.")).status_code
        == 303
    )
    mine = client_for(expert)
    response = mine.post(f"/publishing/{page.id}/edit", data={**started, "summary": "Mine."})
    assert response.status_code == 409
    body = response.get_data(as_text=True)
    assert "Someone else saved this page while you were editing it." in body
    assert "Theirs." in body and "Mine." in body
    current = fresh(page.id)
    assert current.summary == "Theirs."
    assert f'name="version" value="{current.version}"' in body  # saving again overwrites knowingly
    assert (
        mine.post(
            f"/publishing/{page.id}/edit", data={**started, "summary": "Mine.", "version": str(current.version)}
        ).status_code
        == 303
    )
    assert fresh(page.id).summary == "Mine."


@pytest.mark.parametrize("state", ["in_review", "approved"])
def test_a_page_in_review_or_approved_cannot_be_edited(state, expert_client, expert, moderator):
    page = page_in_state(state, expert, moderator)
    assert expert_client.get(f"/publishing/{page.id}/edit").status_code == 409
    response = expert_client.post(f"/publishing/{page.id}/edit", data=page_form(page, title="Changed"))
    assert response.status_code == 409
    assert "cannot be changed now" in response.get_data(as_text=True)
    assert fresh(page.id).title == page.title


# The workflow over HTTP ---------------------------------------------------------------------------------------


def test_the_workflow_with_plain_form_posts(expert_client, moderator_client, expert, moderator):
    page = make_page(expert)
    submitted = expert_client.post(f"/publishing/{page.id}/submit", data={"version": page.version, "comment": "Ready"})
    assert submitted.status_code == 303 and submitted.headers["Location"] == f"/publishing/{page.id}"
    page = fresh(page.id)
    assert page.state == "in_review"
    back = moderator_client.post(
        f"/publishing/{page.id}/send-back", data={"version": page.version, "comment": "Venue?"}
    )
    assert back.status_code == 303
    page = fresh(page.id)
    assert page.state == "draft"
    overview = expert_client.get(f"/publishing/{page.id}").get_data(as_text=True)
    assert "Sent back" in overview and "Venue?" in overview
    expert_client.post(f"/publishing/{page.id}/submit", data={"version": page.version})
    page = fresh(page.id)
    assert moderator_client.post(f"/publishing/{page.id}/approve", data={"version": page.version}).status_code == 303
    page = fresh(page.id)
    assert page.state == "approved"
    assert moderator_client.post(f"/publishing/{page.id}/publish", data={"version": page.version}).status_code == 303
    page = fresh(page.id)
    assert (page.state, page.live_version) == ("published", 1)
    assert "is published: the public sees it now" in moderator_client.get(f"/publishing/{page.id}").get_data(
        as_text=True
    )
    withdrawn = moderator_client.post(f"/publishing/{page.id}/withdraw", data={"reason": "Cancelled by the host."})
    assert withdrawn.status_code == 303
    assert fresh(page.id).live_version is None


def test_workflow_actions_with_htmx_swap_the_workspace_only(expert_client, moderator_client, expert, moderator):
    page = make_page(expert)
    full = expert_client.get(f"/publishing/{page.id}")
    response = expert_client.htmx("post", f"/publishing/{page.id}/submit", data={"version": page.version})
    assert response.status_code == 200
    fragment = response.get_data(as_text=True)
    assert fragment.lstrip().startswith('<div id="workspace"') and "<html" not in fragment
    assert "is submitted. A moderator reviews it next." in fragment
    assert len(response.get_data()) < len(full.get_data())
    page = fresh(page.id)
    approved = moderator_client.htmx("post", f"/publishing/{page.id}/approve", data={"version": page.version})
    assert approved.status_code == 200 and "is approved" in approved.get_data(as_text=True)
    assert fresh(page.id).state == "approved"


def test_sending_back_without_a_comment_is_422_beside_the_field(moderator_client, expert, moderator):
    page = submit(make_page(expert), expert)
    plain = moderator_client.post(f"/publishing/{page.id}/send-back", data={"version": page.version, "comment": ""})
    assert plain.status_code == 422
    assert "Say what needs to change" in plain.get_data(as_text=True)
    fragment = moderator_client.htmx("post", f"/publishing/{page.id}/send-back", data={"version": page.version})
    assert fragment.status_code == 422
    text = fragment.get_data(as_text=True)
    assert text.lstrip().startswith('<div id="workspace"')
    assert 'id="send-back-comment-error"' in text and 'aria-invalid="true"' in text
    assert fresh(page.id).state == "in_review"


def test_withdrawing_without_a_reason_is_422_and_keeps_the_page_public(moderator_client, expert, moderator):
    page = published_page(expert, moderator)
    response = moderator_client.post(f"/publishing/{page.id}/withdraw", data={"reason": "  "})
    assert response.status_code == 422
    assert "Give a reason: visitors of the page read it." in response.get_data(as_text=True)
    assert fresh(page.id).live_version == 1


@pytest.mark.parametrize("state", ["draft", "in_review"])
def test_publishing_a_page_never_approved_is_409_with_an_explanation(state, moderator_client, expert, moderator):
    page = page_in_state(state, expert, moderator)
    response = moderator_client.post(f"/publishing/{page.id}/publish", data={"version": page.version})
    assert response.status_code == 409
    body = response.get_data(as_text=True)
    assert "cannot be published: it has not been approved" in body
    assert "a moderator approves it, then publishes it" in body
    assert db.session.execute(select(ProgrammeSnapshot)).first() is None
    htmx = moderator_client.htmx("post", f"/publishing/{page.id}/publish", data={"version": page.version})
    assert htmx.status_code == 409 and htmx.headers["HX-Retarget"] == "#alerts"


def test_a_stale_approval_is_409(moderator_client, expert, moderator):
    page = submit(make_page(expert), expert)
    response = moderator_client.post(f"/publishing/{page.id}/approve", data={"version": page.version - 1})
    assert response.status_code == 409 and "changed since you opened it" in response.get_data(as_text=True)
    assert moderator_client.post(f"/publishing/{page.id}/approve", data={}).status_code == 409
    assert fresh(page.id).state == "in_review"


def test_experts_may_not_approve_send_back_publish_or_withdraw(expert_client, expert, moderator):
    in_review = submit(make_page(expert), expert)
    approved = page_in_state("approved", expert, moderator)
    public = published_page(expert, moderator)
    attempts = [
        (f"/publishing/{in_review.id}/approve", {"version": in_review.version}),
        (f"/publishing/{in_review.id}/send-back", {"version": in_review.version, "comment": "No"}),
        (f"/publishing/{approved.id}/publish", {"version": approved.version}),
        (f"/publishing/{public.id}/withdraw", {"reason": "No"}),
    ]
    for url, data in attempts:
        assert expert_client.post(url, data=data).status_code == 403, url
        assert expert_client.htmx("post", url, data=data).status_code == 403, url
    assert (fresh(in_review.id).state, fresh(approved.id).state) == ("in_review", "approved")
    assert fresh(public.id).live_version == 1
    overview = expert_client.get(f"/publishing/{in_review.id}").get_data(as_text=True)
    assert ">Approve<" not in overview and "Send back with comments" not in overview


def test_visitors_are_sent_to_sign_in_for_every_members_page(client, expert, moderator):
    page = published_page(expert, moderator)
    for url in (
        "/publishing/",
        f"/publishing/{page.id}",
        f"/publishing/{page.id}/edit",
        f"/publishing/{page.id}/preview",
    ):
        response = client.get(url)
        assert response.status_code == 302 and response.headers["Location"].startswith("/login"), url
    assert client.post(f"/publishing/{page.id}/withdraw", data={"reason": "x"}).status_code == 302
    assert fresh(page.id).live_version == 1


def test_an_unknown_page_is_404(expert_client, moderator_client):
    assert expert_client.get("/publishing/999999").status_code == 404
    assert expert_client.post("/publishing/999999/submit", data={"version": 1}).status_code == 404
    assert moderator_client.post("/publishing/999999/publish", data={"version": 1}).status_code == 404


# What moderators see before publishing ------------------------------------------------------------------------


def test_the_overview_shows_what_differs_from_the_published_version(moderator_client, expert, moderator):
    event = make_event()
    kept = add_item(event, 1, "09:00", "10:00", title="Opening")
    dropped = add_item(event, 1, "10:00", "11:00", title="Dropped session")
    page = published_page(expert, moderator, event, summary="Two days in Riga.")
    page = edit(page, expert, summary="Two full days in Riga.")
    kept.start, kept.title = kept.start.replace(hour=8), "Opening and welcome"
    dropped.deleted_at = utcnow()  # the agenda editor marks deleted items
    db.session.commit()
    add_item(event, 2, "09:00", "10:00", title="Brand new session")
    body = moderator_client.get(f"/publishing/{page.id}").get_data(as_text=True)
    assert "The working copy compared with the published version 1" in body
    assert "1 page field differs from the published version 1." in body
    assert 'Two<ins><span class="sr-only">[added: </span> full<span class="sr-only">]</span></ins> days' in body
    assert "Agenda: 3 sessions differ" in body
    for change, title in (
        ("Added", "Brand new session"),
        ("Removed", "Dropped session"),
        ("Changed", "Opening and welcome"),
    ):
        assert f"{change}</span>\n    <strong>{title}</strong>" in body
    assert "Day and time" in body


def test_after_approval_the_approved_version_is_compared_and_later_agenda_changes_are_flagged(
    moderator_client, expert, moderator
):
    event = make_event()
    opening = add_item(event, 1, "09:00", "10:00", title="Opening")
    page = approve(submit(make_page(expert, event), expert), moderator)
    opening.title = "Opening, renamed after approval"
    db.session.commit()
    body = moderator_client.get(f"/publishing/{page.id}").get_data(as_text=True)
    assert "The approved version compared with nothing published yet" in body
    assert "Changed since approval" in body and "Opening, renamed after approval" in body
    preview = moderator_client.get(f"/publishing/{page.id}/preview?which=approved").get_data(as_text=True)
    assert ">Opening <span" in preview and "renamed after approval" not in preview
    working = moderator_client.get(f"/publishing/{page.id}/preview").get_data(as_text=True)
    assert "Opening, renamed after approval" in working
    assert "Preview, for members only" in working and 'name="robots" content="noindex"' in working


def test_published_versions_can_be_read_back(expert_client, expert, moderator):
    page = published_page(expert, moderator, summary="First summary.")
    edit(page, expert, summary="Second summary.")
    body = expert_client.get(f"/publishing/{page.id}/versions/1").get_data(as_text=True)
    assert "First summary." in body and "published version 1 (what the public sees now)" in body
    assert expert_client.get(f"/publishing/{page.id}/versions/2").status_code == 404
    assert expert_client.get(f"/publishing/{page.id}/preview?which=approved").status_code == 404


def test_the_list_filters_by_state_and_shows_registration_counts_to_moderators(
    expert_client, moderator_client, expert, moderator
):
    drafted = make_page(expert, title="Drafted page")
    reviewed = submit(make_page(expert, title="Reviewed page"), expert)
    body = expert_client.get("/publishing/?state=in_review").get_data(as_text=True)
    assert reviewed.title in body and drafted.title not in body
    assert "Registrations" not in expert_client.get("/publishing/").get_data(as_text=True)
    assert ">Registrations<" in moderator_client.get("/publishing/").get_data(as_text=True)


def test_the_dashboard_shows_moderators_the_pages_waiting_for_them(moderator_client, expert_client, expert, moderator):
    submit(make_page(expert, title="Waiting for review"), expert)
    make_page(expert, title="Still a draft")

    def panel(client) -> str:
        body = client.get("/dashboard").get_data(as_text=True)
        return body.split('class="card programme-panel"', 1)[1].split("</section>", 1)[0]

    moderators = panel(moderator_client)
    assert "Programme pages waiting for you" in moderators
    assert "Waiting for review" in moderators and "Still a draft" not in moderators
    experts = panel(expert_client)
    assert "Programme pages in draft" in experts and "Still a draft" in experts and "Waiting for review" not in experts


def test_the_dashboard_panel_runs_one_query(app, moderator, expert):
    from protect.programme import dashboard_panel

    assert dashboard_panel(moderator) is None  # nothing waiting: no panel
    submit(make_page(expert), expert)
    with count_queries() as statements:
        context = dashboard_panel(moderator)
    assert len(context["pages"]) == 1 and len(statements) <= 2


# Query counts -------------------------------------------------------------------------------------------------


def _count(client, url: str) -> int:
    with count_queries() as statements:
        assert client.get(url).status_code == 200, url
    return len(statements)


def test_members_pages_run_a_bounded_number_of_queries(moderator_client, expert, moderator):
    event = make_event()
    add_item(event, 1, "09:00", "10:00")
    page = published_page(expert, moderator, event)
    page = edit(page, expert, summary="Changed.")
    urls = ["/publishing/", f"/publishing/{page.id}", f"/publishing/{page.id}/preview", f"/publishing/{page.id}/edit"]
    small = {url: _count(moderator_client, url) for url in urls}
    for n in range(8):
        add_item(event, 2, f"{9 + n:02d}:00", f"{9 + n:02d}:30", title=f"Extra {n}")
        other = published_page(expert, moderator, make_event(slug=f"other-{n}"))
        edit(other, expert, summary=f"Edited {n}")
    page = edit(fresh(page.id), expert, summary="Changed again.")
    large = {url: _count(moderator_client, url) for url in urls}
    assert small == large, (small, large)
    assert max(large.values()) <= 12
