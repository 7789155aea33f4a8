"""The kinds of notice a member can set one by one, with their defaults and who may receive them."""

from __future__ import annotations

from dataclasses import dataclass

from protect.core.i18n import N_


@dataclass(frozen=True)
class Kind:
    label: str  # N_ message: the settings page's line
    default: str  # "now", "daily", "weekly" or "app"
    role: str = "expert"  # the lowest role that may receive it (core.permissions order)
    private: bool = False  # only its recipient may know it: kept from the moderators' outbox page


KINDS: dict[str, Kind] = {
    "reply": Kind(N_("Replies to my comments and comments on my revisions"), "daily"),
    "mention": Kind(N_("Someone mentions me with @"), "now"),
    "review": Kind(N_("Revisions waiting for my review"), "daily", role="moderator"),
    "revision": Kind(N_("My revisions accepted, rejected or outdated"), "daily"),
    "poll_open": Kind(N_("A new poll open to me"), "daily"),
    # Immediately by default, unlike the rest: in a morning digest it could arrive after the poll closed.
    "poll_closing": Kind(N_("A poll closes in 24 hours and I have not voted"), "now", private=True),
    "poll_closing_soon": Kind(N_("A poll closes in 48 hours and I have not voted"), "now", private=True),
    "poll_result": Kind(N_("The result of a poll"), "daily"),
    "assigned": Kind(N_("A decision or action assigned to me"), "now"),
    "action_due": Kind(N_("My actions due in 2 days or overdue"), "daily"),
    "programme": Kind(N_("Programme pages waiting for approval, or sent back to me"), "daily"),
    "agenda": Kind(N_("Changes to agendas I follow"), "daily"),
    # Mailed, so that copies of the chain's head are kept outside the server (protect.audit).
    "audit_checkpoint": Kind(N_("The audit log's daily checkpoint (its head hash)"), "daily", role="moderator"),
}

DELIVERY_LABELS = {
    "now": N_("Immediately by e-mail"),
    "daily": N_("In the daily digest"),
    "weekly": N_("In the weekly digest"),
    "app": N_("Only in the workspace"),
}
