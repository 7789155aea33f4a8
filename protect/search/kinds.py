"""The kinds of results members filter by, each with the index kinds it covers (a programme page is found as
its working copy, its public page and its public translations)."""

from __future__ import annotations

from protect.core.i18n import N_

# filter key → (label, index kinds), in the order the filters show them
KINDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "guidelines": (N_("Guidelines"), ("section",)),
    "revisions": (N_("Revisions"), ("revision",)),
    "comments": (N_("Comments"), ("comment",)),
    "agenda": (N_("Agenda items"), ("item",)),
    "decisions": (N_("Decisions"), ("decision",)),
    "actions": (N_("Actions"), ("action",)),
    "meetings": (N_("Meetings"), ("meeting",)),
    "polls": (N_("Polls"), ("poll", "location")),
    "programme": (N_("Programme pages"), ("programme", "published", "translation")),
}
# index kind → filter key
GROUP_OF = {kind: key for key, (_label, kinds) in KINDS.items() for kind in kinds}
# The label of one result's kind (a published page says so: the draft and the public page can both be found).
RESULT_LABELS = {
    "section": N_("Guideline section"),
    "revision": N_("Revision"),
    "comment": N_("Comment"),
    "item": N_("Agenda item"),
    "decision": N_("Decision"),
    "action": N_("Action"),
    "meeting": N_("Meeting"),
    "poll": N_("Poll"),
    "location": N_("Candidate location"),
    "programme": N_("Programme page (working copy)"),
    "published": N_("Programme page"),
    "translation": N_("Programme page (translation)"),
}
