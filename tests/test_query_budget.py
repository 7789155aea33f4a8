"""Every main page the benchmark measures issues a small, fixed number of SQL queries: at most 12, and not one
more when the data triples (no N+1). The pages are the benchmark's own requests (bench/targets.py), made on
data from its generator (bench/datagen.py) at two small sizes that differ in every count."""

from __future__ import annotations

import contextvars

import pytest

from bench import datagen, targets
from tests.conftest import wipe_database

BUDGET = 12
# The save, audited and indexed, also moves the audit chain's head (core.audit: one INSERT ... ON CONFLICT DO
# UPDATE that locks it and returns the end of the chain) and writes its search entry (one INSERT ... ON CONFLICT):
# the prices of a tamper-evident log and of search, one statement each.
BUDGETS = {"agenda item save (htmx)": BUDGET + 2}
# The issue's own budget for a search: the sign-in check and the search's own statements.
SEARCH_BUDGET = 4
PAGES = (
    "dashboard",
    "agenda page",
    "agenda item save (htmx)",
    "guideline revision + threads",
    "poll results",
    "decision log filter+search",
    "search: a common word",
    "search: a rare phrase",
    "search suggestions",
    "public programme list",
    "public training page",
)


def measure(app, scale: datagen.Scale) -> dict[str, dict]:
    try:
        contextvars.Context().run(datagen.generate, app, scale, migrate=False)
        plan = contextvars.Context().run(targets.build, app, scale)
        return {t.name: contextvars.Context().run(targets.probe, app, t) for t in plan}
    finally:
        with app.app_context():
            wipe_database()


@pytest.fixture(scope="module")
def probes(app) -> dict[str, dict[str, dict]]:
    return {"small": measure(app, datagen.tiny(2)), "large": measure(app, datagen.tiny(6))}


def test_every_page_is_measured(probes):
    assert sorted(probes["small"]) == sorted(PAGES)
    assert sorted(probes["large"]) == sorted(PAGES)


@pytest.mark.parametrize("page", PAGES)
def test_queries_are_few_and_do_not_grow_with_the_data(probes, page):
    small, large = probes["small"][page], probes["large"][page]
    assert small["status"] == large["status"] == 200, (small["status"], large["status"])
    listing = "\n".join(large["statements"])
    budget = SEARCH_BUDGET if page.startswith("search") else BUDGETS.get(page, BUDGET)
    assert large["queries"] <= budget, f"{page}: {large['queries']} queries\n{listing}"
    assert large["queries"] <= small["queries"], (
        f"{page}: {small['queries']} queries at the small size, {large['queries']} with three times the data\n{listing}"
    )


def test_an_htmx_save_sends_a_fraction_of_the_page(probes):
    save = probes["large"]["agenda item save (htmx)"]
    assert save["bytes"] <= 0.15 * save["full_page_bytes"], (save["bytes"], save["full_page_bytes"])
