"""The status rules of a decision, as pure functions: no database, no request, tested on their own.

A decision is proposed, then agreed, then implemented. Instead it may be withdrawn, or superseded by the
decision that replaces it. What was implemented is a record: it can only be superseded, never sent back to
proposed. A superseded decision stays superseded (its replacement carries the story on).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

from babel.lists import format_list
from flask_babel import get_locale, gettext, lazy_gettext

# The codes stay English in the database; their labels are shown in the reader's language.
STATUSES: dict[str, str] = {
    "proposed": lazy_gettext("Proposed"),
    "agreed": lazy_gettext("Agreed"),
    "implemented": lazy_gettext("Implemented"),
    "superseded": lazy_gettext("Superseded"),
    "withdrawn": lazy_gettext("Withdrawn"),
}
# The statuses a decision may move to from each status.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "proposed": ("agreed", "withdrawn", "superseded"),
    "agreed": ("implemented", "proposed", "superseded", "withdrawn"),
    "implemented": ("superseded",),
    "superseded": (),
    "withdrawn": ("proposed",),
}
# Decisions still to be carried out: their due dates count.
OPEN_STATUSES = ("proposed", "agreed")
# A replacement must itself have been agreed: a mere proposal cannot take the place of a decision (it may still
# be withdrawn), nor can a decision that is superseded or withdrawn itself.
SUPERSEDING_STATUSES = ("agreed", "implemented")
# A decision that replaces others carries their story on: it cannot go back to a proposal or be withdrawn.
STATUSES_A_REPLACEMENT_LEAVES = ("proposed", "withdrawn")


@dataclass(frozen=True)
class StatusProblem:
    """Why a status change is refused: the message, the form field it concerns and the HTTP status."""

    message: str
    field: str = "status"
    status: int = 409


def status_word(status: str | None) -> str:
    """A status's label in lower case, inside a sentence ("the decision is agreed already")."""
    return str(STATUSES.get(status, status or "")).lower()


def _either(words: list[str]) -> str:
    """ "agreed, withdrawn or superseded" in the reader's language."""
    return format_list(words, style="or", locale=get_locale() or "en_GB")


def allowed_statuses(current: str) -> tuple[str, ...]:
    return TRANSITIONS.get(current, ())


def transition_problem(current: str, new: str) -> StatusProblem | None:
    """None when a decision may move from ``current`` to ``new``, else why not."""
    if new not in STATUSES:
        return StatusProblem(gettext("Choose a status from the list."), status=422)
    if new == current:
        return StatusProblem(gettext("The decision is %(status)s already.", status=status_word(current)), status=409)
    if new not in allowed_statuses(current):
        allowed = allowed_statuses(current)
        if current == "implemented" and new == "proposed":
            hint = gettext(
                "An implemented decision is a record of what was done; to change course, propose a new "
                "decision and mark this one superseded by it."
            )
        elif allowed:
            hint = gettext(
                "From %(status)s it can become %(options)s.",
                status=status_word(current),
                options=_either([status_word(s) for s in allowed]),
            )
        else:
            hint = gettext("It is final: a superseded decision stays superseded; its replacement carries on.")
        refusal = gettext(
            "A decision that is %(status)s cannot become %(new)s.", status=status_word(current), new=status_word(new)
        )
        return StatusProblem(f"{refusal} {hint}", status=409)
    return None


def supersede_problem(
    decision_id: int,
    replacement_id: int | None,
    replacement_status: str | None,
    successor_of: Mapping[int, int | None],
) -> StatusProblem | None:
    """None when ``decision_id`` may be marked superseded by ``replacement_id``, else why not.

    ``successor_of`` maps decisions to the decision that superseded them (``None`` or missing: not
    superseded); following it from the replacement must never lead back to the decision.
    ``replacement_status`` is None when no such decision exists.
    """
    field = "superseded_by_id"
    if replacement_id is None:
        return StatusProblem(gettext("Choose the decision that replaces this one."), field, 422)
    if replacement_id == decision_id:
        return StatusProblem(
            gettext("A decision cannot supersede itself. Choose the decision that replaces it."), field, 422
        )
    if replacement_status is None:
        return StatusProblem(
            gettext("There is no such decision to supersede this one. Choose one from the list."), field, 422
        )
    seen = {replacement_id}
    step = successor_of.get(replacement_id)
    while step is not None:
        if step == decision_id:
            return StatusProblem(
                gettext(
                    "That would make a cycle: the chosen decision is itself replaced, through others, by this one."
                ),
                field,
                422,
            )
        if step in seen:  # a cycle stored earlier: refuse rather than loop
            break
        seen.add(step)
        step = successor_of.get(step)
    if replacement_status == "proposed":
        return StatusProblem(
            gettext(
                "The chosen decision is only proposed: a decision can be superseded only by one that is agreed or "
                "implemented. Agree the new decision first, then mark this one superseded by it."
            ),
            field,
            422,
        )
    if replacement_status not in SUPERSEDING_STATUSES:
        return StatusProblem(
            gettext(
                "The chosen decision is %(status)s itself; choose a decision that is agreed or implemented.",
                status=status_word(replacement_status),
            ),
            field,
            422,
        )
    return None


def replacement_problem(new: str, replaces: list[str]) -> StatusProblem | None:
    """None when a decision that supersedes the decisions titled ``replaces`` may move to ``new``, else why not:
    a replacement that went back to a proposal, or was withdrawn, would leave them superseded by nothing that
    stands."""
    if not replaces or new not in STATUSES_A_REPLACEMENT_LEAVES:
        return None
    names = ", ".join(f"“{title}”" for title in replaces[:3])
    if len(replaces) > 3:
        names = gettext("%(names)s and others", names=names)
    if new == "proposed":
        message = gettext(
            "This decision replaces %(names)s, so it cannot go back to proposed: what it replaced would be "
            "superseded by nothing agreed. To change course, propose a new decision and mark this one superseded "
            "by it.",
            names=names,
        )
    else:
        message = gettext(
            "This decision replaces %(names)s, so it cannot be withdrawn: what it replaced would be superseded by "
            "nothing agreed. To change course, propose a new decision and mark this one superseded by it.",
            names=names,
        )
    return StatusProblem(message, status=409)


def is_overdue(due, today, *, done: bool = False) -> bool:
    """Something due before ``today`` and not done is overdue (due today is not yet)."""
    return due is not None and not done and due < today


def fold(text: str | None) -> str:
    """Text as the search column stores it and a query is compared with it: Unicode-normalised and
    case-folded in Python, because SQLite's lower() and LIKE fold only ASCII ("Вильнюс", "ØRESUND")."""
    return unicodedata.normalize("NFKC", text or "").casefold()


_BASE_LETTERS = str.maketrans({"ø": "o", "æ": "ae", "œ": "oe", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "ı": "i"})


def loose(text: str | None) -> str:
    """``fold`` without the accents, for matching people's names as they are typed: "Kristine" finds
    "Kristīne", "Sorensen" finds "Sørensen", "Jonsdottir" finds "Jónsdóttir"."""
    decomposed = unicodedata.normalize("NFKD", fold(text))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).translate(_BASE_LETTERS)


def normalise_tags(raw: str | list[str] | None) -> list[str]:
    """Tags from "Riga, target groups; training" as a list without duplicates (compared folded)."""
    if raw is None:
        return []
    parts = raw if isinstance(raw, list) else raw.replace(";", ",").split(",")
    tags: list[str] = []
    keys: set[str] = set()
    for part in parts:
        tag = " ".join(str(part).split())
        if tag and fold(tag) not in keys:
            keys.add(fold(tag))
            tags.append(tag)
    return tags
