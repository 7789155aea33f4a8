"""Extension points through which features add to shared pages without the shared code importing them.

A feature's ``init_app(app)`` registers its navigation entries, dashboard panels, demo-data seeders and reminders here,
and the panels it adds to another feature's page (``PagePanel``): the decision log's note on a poll's page is
one, so that the polls feature shows it without importing the decision log (decisions know polls, never the
other way round).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, current_app

from protect.core.permissions import has_role


@dataclass(frozen=True)
class NavItem:
    label: str
    endpoint: str
    role: str | None  # None: everyone, signed in or not; "expert"/"moderator"/"admin": that role and up
    order: int = 50
    public_only: bool = False  # shown to visitors who are not signed in only
    active_prefix: str = ""  # URL prefix that marks the item as the current section


@dataclass(frozen=True)
class Panel:
    """A dashboard panel: ``build(user)`` returns the template context, or None to leave the panel out."""

    key: str
    template: str
    build: Callable[[Any], dict[str, Any] | None]
    order: int = 50


@dataclass(frozen=True)
class PagePanel:
    """A part that one feature adds to a page of another: ``build(subject, user)`` returns the template's
    context (available as ``ctx``), or None to leave the panel out. ``page`` names the page (for example
    "polls.results"), and the page passes its subject (the poll). ``build`` may run at most one query."""

    page: str
    key: str
    template: str
    build: Callable[[Any, Any], dict[str, Any] | None]
    order: int = 50


@dataclass(frozen=True)
class Seeder:
    name: str
    run: Callable[[], None]
    order: int = 50


@dataclass(frozen=True)
class Reminder:
    """Notices due at a time, not caused by a request (a poll closing tomorrow): ``run(now)`` gives them (through
    ``notifications.services.notify``, once each) and returns how many it gave. ``flask send-mail`` runs every
    reminder in its own transaction."""

    name: str
    run: Callable[[Any], int]


@dataclass
class Registry:
    nav: list[NavItem] = field(default_factory=list)
    panels: list[Panel] = field(default_factory=list)
    page_panels: list[PagePanel] = field(default_factory=list)
    seeders: list[Seeder] = field(default_factory=list)
    reminders: list[Reminder] = field(default_factory=list)


def registry(app: Flask | None = None) -> Registry:
    app = app or current_app
    return app.extensions.setdefault("protect_registry", Registry())


def add_nav(app: Flask, item: NavItem) -> None:
    registry(app).nav.append(item)
    registry(app).nav.sort(key=lambda i: i.order)


def add_panel(app: Flask, panel: Panel) -> None:
    registry(app).panels.append(panel)
    registry(app).panels.sort(key=lambda p: p.order)


def add_page_panel(app: Flask, panel: PagePanel) -> None:
    registry(app).page_panels.append(panel)
    registry(app).page_panels.sort(key=lambda p: p.order)


def add_seeder(app: Flask, seeder: Seeder) -> None:
    registry(app).seeders.append(seeder)
    registry(app).seeders.sort(key=lambda s: s.order)


def add_reminder(app: Flask, reminder: Reminder) -> None:
    registry(app).reminders.append(reminder)


def nav_for(user: Any) -> list[NavItem]:
    signed_in = bool(getattr(user, "is_authenticated", False))
    items = []
    for item in registry().nav:
        if item.public_only and signed_in:
            continue
        if item.role is None or has_role(user, item.role):
            items.append(item)
    return items


def dashboard_panels(user: Any) -> list[tuple[Panel, dict[str, Any]]]:
    built = []
    for panel in registry().panels:
        context = panel.build(user)
        if context is not None:
            built.append((panel, context))
    return built


def panels_for(page: str, subject: Any, user: Any) -> list[tuple[PagePanel, dict[str, Any]]]:
    """The panels other features add to ``page`` about ``subject``, each with its context, in order."""
    built = []
    for panel in registry().page_panels:
        if panel.page != page:
            continue
        context = panel.build(subject, user)
        if context is not None:
            built.append((panel, context))
    return built
