"""The interface's catalogues: complete in every language, no fuzzy entry, the same placeholders as the English,
the right number of plural forms, the field's terms as the glossary gives them, and a template that is current."""

from __future__ import annotations

import csv
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from babel.messages.plurals import get_plural
from babel.messages.pofile import read_po

from protect.core.i18n import LANGUAGES, SOURCE_LANGUAGE, TRANSLATIONS

ROOT = Path(__file__).resolve().parent.parent
POT = TRANSLATIONS / "messages.pot"
GLOSSARY = TRANSLATIONS / "glossary"
TRANSLATED = sorted(set(LANGUAGES) - {SOURCE_LANGUAGE})
PLACEHOLDER = re.compile(r"%\((\w+)\)[sdif]|\{(\w+)\}")


def _read(path: Path, locale: str | None = None):
    with path.open("rb") as source:
        return read_po(source, locale=locale)


def _catalogue(code: str):
    return _read(TRANSLATIONS / code / "LC_MESSAGES" / "messages.po", locale=code)


def _template():
    return _read(POT)


def _placeholders(text: str) -> set[str]:
    return {a or b for a, b in PLACEHOLDER.findall(text)}


# What the glossary check reads of an English message: not its placeholders' names, its markup, or the
# project's proper name (kept in English in every language).
NOT_PROSE = re.compile(r"%\(\w+\)[sdif]|\{\w+\}|<[^>]+>|PROTECT Children on the Move")


def _prose(text: str) -> str:
    return NOT_PROSE.sub(" ", text)


def _key(message) -> tuple:
    return (message.context, message.id)


@pytest.mark.parametrize("code", sorted(LANGUAGES))
def test_each_language_has_a_complete_catalogue_without_fuzzy_entries(code):
    catalogue = _catalogue(code)
    template = {_key(m): m for m in _template() if m.id}
    present = {_key(m): m for m in catalogue if m.id}
    missing = [m.id for key, m in template.items() if key not in present]
    assert missing == [], f"{code}: {len(missing)} messages missing, first {missing[:3]}"
    empty = [m.id for m in present.values() if not all(m.string if isinstance(m.string, tuple) else (m.string,))]
    assert empty == [], f"{code}: {len(empty)} messages untranslated, first {empty[:3]}"
    fuzzy = [m.id for m in present.values() if m.fuzzy]
    assert fuzzy == [], f"{code}: fuzzy entries {fuzzy[:3]}"


@pytest.mark.parametrize("code", sorted(LANGUAGES))
def test_plural_forms_match_the_language(code):
    catalogue = _catalogue(code)
    expected = get_plural(code)
    assert (catalogue.num_plurals, catalogue.plural_expr) == (expected.num_plurals, expected.plural_expr)
    for message in catalogue:
        if message.id and message.pluralizable:
            forms = message.string
            assert len(forms) == catalogue.num_plurals, f"{code}: {message.id[0]!r} has {len(forms)} forms"


def test_the_languages_with_several_plural_forms_have_them():
    # Russian, Polish, Lithuanian: one, few, many; Latvian: zero, one, other.
    assert {code: _catalogue(code).num_plurals for code in ("ru", "pl", "lt", "lv")} == {
        "ru": 3,
        "pl": 3,
        "lt": 3,
        "lv": 3,
    }


@pytest.mark.parametrize("code", sorted(LANGUAGES))
def test_translations_keep_the_placeholders_of_the_english(code):
    wrong = []
    for message in _catalogue(code):
        if not message.id:
            continue
        if message.pluralizable:
            wanted = _placeholders(message.id[0]) | _placeholders(message.id[1])
            for form in message.string:
                if _placeholders(form) != wanted:
                    wrong.append((message.id[1], form))
        elif _placeholders(message.string) != _placeholders(message.id):
            wrong.append((message.id, message.string))
    assert wrong == [], f"{code}: {len(wrong)} translations change the placeholders, first {wrong[:3]}"


@pytest.mark.parametrize("code", TRANSLATED)
def test_translations_use_the_glossary_terms(code):
    """Each message that says one of the field's terms in English says it in the glossary's words."""
    with (GLOSSARY / f"{code}.tsv").open(encoding="utf-8", newline="") as source:
        terms = [row for row in csv.DictReader(source, delimiter="\t") if row["stem"].strip()]
    assert len(terms) >= 30
    catalogue = _catalogue(code)
    wrong = []
    for term in terms:
        english = re.compile(rf"\b{re.escape(term['english'])}\b", re.IGNORECASE)
        stem = term["stem"].strip().lower()
        for message in catalogue:
            ids = message.id if message.pluralizable else (message.id,)
            forms = message.string if message.pluralizable else (message.string,)
            said = message.id and any(english.search(_prose(text)) for text in ids)
            if said and not all(stem in form.lower() for form in forms if form):
                wrong.append((term["english"], ids[0], forms[0]))
    assert wrong == [], f"{code}: {len(wrong)} messages do not use the glossary's term, first {wrong[:3]}"


def test_english_catalogue_is_the_messages_themselves():
    for message in _catalogue("en"):
        if message.id:
            assert (message.string == tuple(message.id)) if message.pluralizable else message.string == message.id


def test_catalogue_template_is_current(tmp_path):
    """Extracting again gives the same messages as the committed template: `make messages-update` was run."""
    make = shutil.which("make")
    if make is None:
        pytest.skip("make is not installed")
    fresh = tmp_path / "messages.pot"
    subprocess.run([make, "-s", "messages-extract", f"POT={fresh}"], cwd=ROOT, check=True, capture_output=True)
    committed = {_key(m): m.id for m in _template() if m.id}
    extracted = {_key(m): m.id for m in _read(fresh) if m.id}
    assert sorted(set(extracted) - set(committed), key=str) == [], "new messages: run make messages-update"
    assert sorted(set(committed) - set(extracted), key=str) == [], "messages gone: run make messages-update"
    assert committed == extracted


def test_catalogues_are_compiled():
    """`make test` and `make run` compile them first: a missing one would show English silently."""
    for code in TRANSLATED:
        compiled = TRANSLATIONS / code / "LC_MESSAGES" / "messages.mo"
        source = TRANSLATIONS / code / "LC_MESSAGES" / "messages.po"
        assert compiled.exists() and compiled.stat().st_mtime >= source.stat().st_mtime, f"make translations ({code})"
