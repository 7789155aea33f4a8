"""Issue 16, the results of a poll as a new user reads them: the CSV opens in a spreadsheet with its accents,
a result the lot decided says so, a Schulze tie is shown as a tie, and the results read on a phone."""

from __future__ import annotations

import csv
import io
import re

from protect.polls.models import Poll
from tests.factories import make_user
from tests.polls.factories import cast, close_now, make_poll


def _words(response) -> str:
    """The page's text: tags out, spaces collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)).split())


def _csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))


def test_the_tally_csv_starts_with_a_byte_order_mark_so_spreadsheets_read_utf8(client_for, moderator, expert):
    poll = make_poll(moderator, method="single", cities=("Gdańsk", "Reykjavík", "Malmö"))
    cast(poll, expert, "Gdańsk")
    close_now(poll)
    response = client_for(expert).get(f"/polls/{poll.id}/results.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    raw = response.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")  # as the decision and registration exports
    assert raw.count(b"\xef\xbb\xbf") == 1
    assert "Gdańsk".encode() in raw and "Reykjavík".encode() in raw
    rows = _csv_rows(response)
    assert rows[0][0] == "Question"  # the mark is not part of the first cell for a reader that knows it
    assert ["Winner", "Gdańsk, Poland"] in rows


def _lot_poll(moderator) -> Poll:
    """Round 1: Riga 2, Tallinn 1, Vilnius 1 of 4. Tallinn and Vilnius are equal in every round: the lot draws.
    Tallinn out: its ballot goes to Riga, who wins 3 of 4. Vilnius out: its ballot goes to Tallinn, 2 to 2, a
    declared tie. Whichever the poll's seed draws, the lot decided the result."""
    poll = make_poll(moderator, method="irv")
    cast(poll, make_user("expert"), "Riga")
    cast(poll, make_user("expert"), "Riga")
    cast(poll, make_user("expert"), "Tallinn", "Riga")
    cast(poll, make_user("expert"), "Vilnius", "Tallinn")
    close_now(poll)
    return poll


def test_a_runoff_decided_by_lot_says_so_in_the_headline_the_notes_and_the_csv(client_for, moderator, expert):
    poll = _lot_poll(moderator)
    client = client_for(expert)
    page = client.get(f"/polls/{poll.id}/results")
    assert page.status_code == 200
    text = _words(page)
    outcome = text[text.index("Outcome") : text.index("Turnout:")]
    assert "Decided by lot: in round 1," in outcome
    assert "Tallinn, Estonia and Vilnius, Lithuania had the same votes in every round" in outcome
    assert "Another draw would have given a different result." in outcome
    # the round note names both locations of the tie, the eliminated one among them, and says "1 vote"
    assert "Round 1: Tallinn, Estonia and Vilnius, Lithuania are tied for the fewest votes (1 vote each)." in text
    assert "drawn first of them, is eliminated" in text and "1 votes" not in text and "tied with" not in text
    assert "eliminated by lot" in text  # the round table's mark
    rows = _csv_rows(client.get(f"/polls/{poll.id}/results.csv"))
    lot = next(row for row in rows if row and row[0] == "Decided by lot")
    assert lot[1] == "yes" and lot[2].startswith("Decided by lot: in round 1, ")
    round_one = next(row for row in rows if row and row[0] == "1")
    assert re.fullmatch(r"(Tallinn, Estonia|Vilnius, Lithuania) eliminated \(drawn by lot\)", round_one[-1])
    # the poll page's result says it too
    assert "Decided by lot:" in _words(client.get(f"/polls/{poll.id}"))


def test_a_runoff_the_lot_did_not_decide_says_no_in_the_csv_and_nothing_in_the_headline(client_for, moderator, expert):
    plain = make_poll(moderator, method="irv")  # Riga 2, Tallinn 2, Vilnius 1: Vilnius out, no draw
    for cities in (("Riga",), ("Riga",), ("Tallinn",), ("Tallinn",), ("Vilnius", "Riga")):
        cast(plain, make_user("expert"), *cities)
    close_now(plain)
    drawn = make_poll(moderator, method="irv")  # Riga 2, Tallinn 1, Vilnius 1: a draw, Riga wins either way
    for cities in (("Riga",), ("Riga",), ("Tallinn",), ("Vilnius", "Riga")):
        cast(drawn, make_user("expert"), *cities)
    close_now(drawn)
    client = client_for(expert)
    text = _words(client.get(f"/polls/{plain.id}/results"))
    assert "Riga, Latvia won in round 2 with 3 of 5 votes still counting." in text
    assert "Decided by lot" not in text and "lot may have" not in text
    assert ["Decided by lot", "no"] in _csv_rows(client.get(f"/polls/{plain.id}/results.csv"))
    text = _words(client.get(f"/polls/{drawn.id}/results"))
    assert "Riga, Latvia won in round 2 with" in text
    assert "Decided by lot" not in text and "the published lot order decides" in text  # in the round notes only
    lot = next(row for row in _csv_rows(client.get(f"/polls/{drawn.id}/results.csv")) if row[:1] == ["Decided by lot"])
    assert lot[1] == "no" and lot[2].endswith("Any other draw gives the same result.")


def _schulze_tie(moderator) -> Poll:
    """Everyone ranks Riga first; Turku and Oslo are 3 to 3 head to head, paths of 0 both ways: a tie."""
    poll = make_poll(moderator, method="schulze", secret=False, cities=("Riga", "Turku", "Oslo"))
    for _ in range(3):
        cast(poll, make_user("expert"), "Riga", "Turku", "Oslo")
        cast(poll, make_user("expert"), "Riga", "Oslo", "Turku")
    close_now(poll)
    return poll


def test_a_schulze_order_shows_equal_paths_as_a_tie_on_the_page_and_in_the_csv(client_for, moderator, expert):
    poll = _schulze_tie(moderator)
    client = client_for(expert)
    text = _words(client.get(f"/polls/{poll.id}/results"))
    assert "Order: 1. Riga, Latvia; 2. Turku, Finland = Oslo, Norway (tied)." in text
    order = text[text.index("Order:") : text.index("“=” marks a tie")]
    assert "3." not in order  # no rank between tied locations (the ballots of "Who chose what" rank to 3)
    assert "“=” marks a tie" in text
    rows = _csv_rows(client.get(f"/polls/{poll.id}/results.csv"))
    start = rows.index(["Schulze rank", "Location", "Tied"])
    assert rows[start + 1 : start + 4] == [
        ["1", "Riga, Latvia", ""],
        ["2", "Turku, Finland", "tied"],
        ["2", "Oslo, Norway", "tied"],
    ]


def test_the_results_tables_scroll_as_focusable_named_regions(client_for, moderator, expert):
    poll = _schulze_tie(moderator)
    body = client_for(expert).get(f"/polls/{poll.id}/results").get_data(as_text=True)
    wrappers = re.findall(r'<div class="table-wrap"[^>]*>', body)
    assert len(wrappers) == 4  # counts, pairwise, strongest paths, who chose what
    for wrapper in wrappers:
        labelled = re.search(r'aria-labelledby="([^"]+)"', wrapper)
        assert 'tabindex="0"' in wrapper and 'role="region"' in wrapper and labelled, wrapper
        assert f'<caption id="{labelled.group(1)}">' in body


def test_the_chart_has_a_legend_and_its_figures_as_text(client_for, moderator, expert):
    poll = make_poll(moderator, method="single", cities=("Riga", "Tallinn", "Oslo"))
    cast(poll, make_user("expert"), "Riga")
    cast(poll, make_user("expert"), "Tallinn")
    cast(poll, make_user("expert"), "Riga")
    close_now(poll)
    response = client_for(expert).get(f"/polls/{poll.id}/results")
    body = response.get_data(as_text=True)
    assert "style=" not in body  # the CSP: widths are SVG attributes
    legend = body[body.index('<ul class="poll-legend"') : body.index("</ul>", body.index('<ul class="poll-legend"'))]
    assert "poll-legend__swatch--winner" in legend and "★ Winner" in legend and "Other locations" in legend
    assert "poll-legend__swatch--tied" not in legend  # only the colours the chart shows
    assert re.search(r'<rect class="poll-bar__rect" x="0" y="0" width="100.0%"', body)  # Riga, the most
    assert re.search(r'<rect class="poll-bar__rect" x="0" y="0" width="50.0%"', body)  # Tallinn, half of it
    assert "Riga, Latvia 2 (66.7%) , winner" in _words(response)
