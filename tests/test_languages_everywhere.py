"""Every page in another language: nothing user-facing stays in English.

The demo data is loaded and the workspace is crawled as an administrator and as a visitor: every page reachable
by links (one of each kind of address), in English and in Russian. A text that is the same in both renderings,
reads as English (it has English function words) and is not the members' own data is a string nobody marked
for translation; a text that is one of the catalogue's English messages is a translation that was not applied.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
from babel.messages.pofile import read_po
from sqlalchemy import String, Text, select

from protect.auth.models import User
from protect.core.database import writing
from protect.core.i18n import TRANSLATIONS
from protect.core.registry import registry
from protect.extensions import db
from tests.conftest import sign_in

LANGUAGE = "ru"
MAX_PAGES = 90
ENGLISH_WORDS = frozenset(
    {
        "the",
        "and",
        "your",
        "you",
        "this",
        "that",
        "with",
        "for",
        "not",
        "are",
        "was",
        "has",
        "have",
        "will",
        "from",
        "here",
        "there",
        "what",
        "when",
        "who",
        "which",
        "can",
        "yet",
        "been",
        "into",
        "only",
        "than",
        "them",
        "they",
        "their",
        "our",
        "its",
        "any",
        "each",
        "every",
        "one",
        "none",
    }
)
SKIPPED = re.compile(r"^/(logout|language/|static/)|/(export|download|print)(\.|/|$)|\.(csv|ics|md|json|xml|txt)$")
SHAPE = re.compile(r"\d+")


class _Texts(HTMLParser):
    """The text a person reads or hears: text nodes (not scripts or styles) and the attributes read aloud."""

    SPOKEN = ("aria-label", "title", "placeholder", "alt", "aria-description")

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self.links: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "template", "code"):  # code: names and values as the machine has them
            self._skip += 1
        values = dict(attrs)
        for name in self.SPOKEN:
            if values.get(name):
                self.texts.append(values[name].strip())
        if tag == "a" and values.get("href"):
            self.links.append(values["href"])

    def handle_endtag(self, tag):
        if tag in ("script", "style", "template", "code") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.texts.append(" ".join(data.split()))


def _read(html: str) -> _Texts:
    parser = _Texts()
    parser.feed(html)
    return parser


def _is_english(text: str) -> bool:
    words = re.findall(r"[A-Za-z]+", text.lower())
    return len(words) >= 3 and any(word in ENGLISH_WORDS for word in words)


# What the pages put around the members' texts: a title's " · PROTECT Workspace", quotes, "§3 ", "(iCalendar)",
# a name's ", organisation", a date in brackets. Each piece between them is looked up on its own.
DECORATION = re.compile(r" · |, |: |\(|\)|› |[“”…]|§\d+ ")


def _is_members_text(text: str, data: str) -> bool:
    pieces = [piece.strip() for piece in DECORATION.split(text)]
    return all(not _is_english(piece) or piece.lower() in data for piece in pieces if piece)


def _members_data() -> str:
    """Every text the members and the demo wrote, lower case, for telling their data from the interface."""
    values = []
    for table in db.metadata.sorted_tables:
        columns = [c for c in table.columns if isinstance(c.type, String | Text)]
        if columns:
            for row in db.session.execute(select(*columns)):
                values.extend(" ".join(str(v).split()) for v in row if v)
    text = "\n".join(values).lower()
    return text + "\n" + re.sub(r"[*_`#>\[\]]", "", text)  # and as excerpts show Markdown: without its marks


def _crawl(client, start: list[str]) -> list[str]:
    seen_shapes, queue, pages = set(), list(start), []
    while queue and len(pages) < MAX_PAGES:
        path = queue.pop(0)
        shape = SHAPE.sub("N", urlsplit(path).path)
        if shape in seen_shapes or SKIPPED.search(urlsplit(path).path):
            continue
        seen_shapes.add(shape)
        response = client.get(path)
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        pages.append(path)
        for href in _read(response.get_data(as_text=True)).links:
            target = urlsplit(urljoin("http://localhost" + path, href))
            if target.netloc == "localhost" and target.path:
                queue.append(target.path + (f"?{target.query}" if target.query else ""))
    return pages


@pytest.fixture
def demo():
    with writing():
        for seeder in registry().seeders:
            seeder.run()
            db.session.commit()


@pytest.fixture
def english_messages() -> dict[str, str]:
    with (TRANSLATIONS / LANGUAGE / "LC_MESSAGES" / "messages.po").open("rb") as source:
        catalogue = read_po(source, locale=LANGUAGE)
    return {m.id: m.string for m in catalogue if m.id and not m.pluralizable and m.string and m.string != m.id}


@pytest.mark.parametrize("who", ["admin", "visitor"])
def test_every_page_is_in_the_members_language(app, demo, english_messages, who):
    client = app.test_client()
    if who == "admin":
        admin = db.session.execute(select(User).where(User.role == "admin")).scalars().first()
        sign_in(client, admin)
        start = ["/dashboard"]
    else:
        start = ["/", "/programme/", "/login", "/no-such-page"]
    data = _members_data()
    pages = _crawl(client, start)
    assert len(pages) >= (25 if who == "admin" else 3), pages
    untranslated, not_applied = [], []
    for path in pages:
        english = _read(client.get(path, headers={"Accept-Language": "en"}).get_data(as_text=True)).texts
        html = client.get(path, headers={"Accept-Language": LANGUAGE}).get_data(as_text=True)
        assert f'<html lang="{LANGUAGE}"' in html, path
        translated = _read(html).texts
        for text in set(english) & set(translated):
            if _is_english(text) and not _is_members_text(text, data):
                untranslated.append((path, text))
        not_applied += [(path, text) for text in translated if text in english_messages]
    assert untranslated == [], f"{len(untranslated)} texts in English, first: {untranslated[:60]}"
    assert not_applied == [], f"{len(not_applied)} messages shown untranslated, first: {not_applied[:10]}"


def test_exports_speak_the_members_language(app, demo):
    """The CSV and Markdown exports' headers and headings are in the member's language (the data stays as written)."""
    from protect.guidelines.models import Guideline
    from protect.polls.models import Poll

    admin = db.session.execute(select(User).where(User.role == "admin")).scalars().first()
    client = sign_in(app.test_client(), admin)
    polls = db.session.execute(select(Poll).order_by(Poll.id)).scalars().all()
    guideline = db.session.execute(select(Guideline)).scalars().first()
    exports = [
        "/decisions/export.csv",
        "/decisions/export.md",
        "/actions/export.csv",
        f"/guidelines/{guideline.slug}/export.md",
    ]
    exports += [f"/polls/{poll.id}/results.csv" for poll in polls]
    checked = 0
    for path in exports:
        english = client.get(path, headers={"Accept-Language": "en"})
        russian = client.get(path, headers={"Accept-Language": LANGUAGE})
        if english.status_code != 200:  # a poll's results are exported after its close only
            continue
        # A CSV's header row; a Markdown export's opening (its title is the members' own).
        first_english = "\n".join(english.get_data(as_text=True).lstrip("\ufeff").splitlines()[:6])
        first_russian = "\n".join(russian.get_data(as_text=True).lstrip("\ufeff").splitlines()[:6])
        assert first_russian != first_english, path
        assert re.search("[а-яА-Я]", first_russian), (path, first_russian)
        checked += 1
    assert checked >= 5
