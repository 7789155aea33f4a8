"""A translation of a programme page in a real browser: an expert adds the Latvian translation and submits it,
a moderator approves and publishes it, a Latvian visitor gets it at the page's plain address; accessibility of
the translation's workspace and of the translated public page."""

from __future__ import annotations

from playwright.sync_api import expect

from protect.extensions import db
from protect.programme import translations
from tests.browser.conftest import assert_accessible
from tests.programme.factories import add_item, make_event, published_page


def test_adding_a_translation_and_seeing_it_published(signed_in, new_context, browser, live_server, expert, moderator):
    event = make_event(title="Training in Riga", slug="riga-2027-translated", city="Riga", country="LV")
    add_item(event, 1, "09:00", "10:00", title="Hearing the child")
    page = published_page(expert, moderator, event, title="Protecting children: training in Riga")

    # The expert adds the Latvian translation from the page's overview and translates the texts.
    author = signed_in(expert)
    author.goto(f"/publishing/{page.id}")
    author.get_by_label("Language").select_option("lv")
    author.get_by_role("button", name="Add a translation").click()
    expect(author.get_by_role("heading", level=1)).to_contain_text("Translation into")
    assert_accessible(author, "the translation's workspace")
    author.get_by_label("Public title").fill("Bērnu aizsardzība: apmācība Rīgā")
    author.get_by_label("Summary").fill("Divas dienas par bērnu aizsardzību.")
    author.get_by_label("Description").fill("Balstīts uz **PROTECT vadlīnijām**.")
    author.get_by_label("How to take part").fill("Reģistrējieties zemāk.")
    author.get_by_role("button", name="Save the translation").click()
    expect(author.locator("#alerts")).to_contain_text("The translation is saved.")
    author.get_by_role("button", name="Submit for review").click()
    expect(author.locator("#alerts")).to_contain_text("The translation is submitted.")
    expect(author.locator("#translation-state .workflow__state")).to_contain_text("In review")
    # An expert is offered no approval.
    expect(author.get_by_role("button", name="Approve")).to_have_count(0)

    # The moderator approves and publishes it.
    reviewer = signed_in(moderator)
    reviewer.goto(f"/publishing/{page.id}/translations/lv")
    reviewer.get_by_role("button", name="Approve").click()
    expect(reviewer.locator("#alerts")).to_contain_text("The translation is approved.")
    reviewer.get_by_role("button", name="Publish").click()
    expect(reviewer.locator("#alerts")).to_contain_text("is published")
    db.session.rollback()
    assert translations.load(page.id, "lv").live_version == 1

    # A Latvian visitor (a browser in Latvian) gets it at the plain address, in a Latvian interface.
    context = browser.new_context(base_url=live_server, locale="lv-LV", timezone_id="Europe/Riga")
    visitor = context.new_page()
    visitor.goto(f"/programme/{page.slug}")
    expect(visitor.locator("html")).to_have_attribute("lang", "lv")
    expect(visitor.get_by_role("heading", level=1)).to_have_text("Bērnu aizsardzība: apmācība Rīgā")
    expect(visitor.locator(".language-note")).to_have_count(0)
    expect(visitor.locator('link[rel="alternate"][hreflang="lv"]')).to_have_count(1)
    assert_accessible(visitor, "the Latvian public page")

    # An English visitor still gets the English page.
    english = new_context().new_page()
    english.goto(f"/programme/{page.slug}")
    expect(english.get_by_role("heading", level=1)).to_have_text("Protecting children: training in Riga")
    context.close()
