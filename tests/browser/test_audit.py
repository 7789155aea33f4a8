"""The audit page in a real browser: reached from the account menu, the chain's state, filters (and a refused
one), the administrators' verification finding a row changed in the database; axe-clean."""

from __future__ import annotations

import re

from playwright.sync_api import expect
from sqlalchemy import update

from protect.core.audit import AuditEvent, record
from protect.core.database import writing
from protect.extensions import db
from tests.browser.conftest import assert_accessible


def _events(expert, moderator) -> None:
    db.session.rollback()
    with writing():
        record(expert, "test.proposed", summary="proposed the training “Vilnius”")
        record(moderator, "test.approved", summary="approved the training “Vilnius”", audience="moderator")
        db.session.commit()


def test_a_moderator_filters_the_audit_log(signed_in, expert, moderator):
    _events(expert, moderator)
    page = signed_in(moderator)
    page.get_by_role("button", name=re.compile("your account")).click()
    page.get_by_role("link", name="Audit log").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Audit log")
    expect(page.locator("[data-chain-length]")).to_have_text(re.compile(r"^\d+$"))
    expect(page.get_by_role("button", name="Verify the chain now")).to_have_count(0)  # administrators only
    expect(page.get_by_text("approved the training “Vilnius”")).to_be_visible()
    page.get_by_label("Kind").select_option("test.proposed")
    page.get_by_role("button", name="Apply filters").click()
    expect(page.get_by_text("proposed the training “Vilnius”")).to_be_visible()
    expect(page.get_by_text("approved the training “Vilnius”")).to_have_count(0)
    assert_accessible(page, "audit page")
    page.get_by_label("Object number").fill("twelve")
    page.get_by_role("button", name="Apply filters").click()
    expect(page.get_by_text("Enter the object's number (a whole number), or leave it empty.")).to_be_visible()
    expect(page.get_by_label("Object number")).to_have_value("twelve")
    expect(page.get_by_label("Kind")).to_have_value("test.proposed")
    assert_accessible(page, "audit page with a refused filter")


def test_an_administrator_verifies_and_sees_where_it_broke(signed_in, expert, moderator, admin):
    _events(expert, moderator)
    page = signed_in(admin)
    page.goto("/audit")
    page.get_by_role("button", name="Verify the chain now").click()
    expect(page.locator("[data-verification]")).to_contain_text("Unbroken")
    db.session.rollback()
    with writing():
        target = db.session.execute(
            update(AuditEvent)
            .where(AuditEvent.action == "test.proposed")
            .values(summary="forged")
            .returning(AuditEvent.seq, AuditEvent.id)
        ).one()
        db.session.commit()
    page.get_by_role("button", name="Verify the chain now").click()
    verification = page.locator("[data-verification]")
    expect(verification).to_contain_text("Broken")
    expect(verification).to_contain_text(f"Event {target.seq} (id {target.id}) was changed after it was recorded.")
    assert_accessible(page, "audit page, chain broken")
