"""How the project's packages may know each other, read from the source (ast): no feature imports another's
views, core imports no feature, features know each other in one direction only, and the project's own modules
are imported at the top of a module (a feature's ``init_app`` is the one stated exception)."""

from __future__ import annotations

import ast
from pathlib import Path

SOURCE = Path(__file__).resolve().parent.parent / "protect"
FEATURES = sorted(p.name for p in SOURCE.iterdir() if (p / "__init__.py").exists() and p.name != "core")
# Which other features a feature may import (their models and services; never their views). Everyone may use
# ``auth`` (members), ``notifications`` (telling members, in the transaction of the change), ``search`` (indexing
# what changed, in the same transaction) and ``core``.
# Decisions know the polls, trainings and revisions they record or link to; a poll never knows the decision
# recorded from it (the decision log adds its panel to the poll's page through core.registry). The programme's
# pages are about training events.
EVERYONE_USES = {"auth", "notifications", "search"}
KNOWS: dict[str, set[str]] = {
    "decisions": {"polls", "agendas", "guidelines"},
    "programme": {"agendas"},
}
# Imports inside a function in files other branches are changing now (remove with them).
PENDING: set[str] = set()  # modules allowed imports inside functions for now: none


def _modules() -> list[tuple[str, ast.Module]]:
    return [(path.relative_to(SOURCE).as_posix(), ast.parse(path.read_text())) for path in SOURCE.rglob("*.py")]


def _imported(node: ast.AST) -> list[str]:
    """The project's modules (or names in them) ``node`` imports, dotted."""
    if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
        return [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    return []


def _edges() -> set[tuple[str, str, str]]:
    """(importing package, imported package, imported name) for every import of one package by another."""
    edges = set()
    for path, tree in _modules():
        package = path.split("/")[0] if "/" in path else "(app)"
        for node in ast.walk(tree):
            for name in _imported(node):
                parts = name.split(".")
                if parts[0] == "protect" and len(parts) > 1 and parts[1] in {*FEATURES, "core"} and parts[1] != package:
                    edges.add((package, parts[1], name))
    return edges


def test_core_imports_no_feature():
    assert sorted(name for source, target, name in _edges() if source == "core") == []


def test_no_feature_imports_another_features_views():
    assert sorted(name for source, target, name in _edges() if ".views" in name and source in FEATURES) == []


def test_features_know_each_other_in_the_stated_direction_only():
    unexpected = sorted(
        f"{source} -> {name}"
        for source, target, name in _edges()
        if source in FEATURES
        and target in FEATURES
        and target not in EVERYONE_USES
        and target not in KNOWS.get(source, set())
    )
    assert unexpected == []


def test_search_knows_no_feature_but_members():
    """Every feature indexes its things through search; search never knows what it indexes."""
    assert sorted(n for s, t, n in _edges() if s == "search" and t in FEATURES and t != "auth") == []


def test_notifications_know_no_feature_but_members():
    """Every feature tells members through notifications; notifications never know what they tell about."""
    assert (
        sorted(
            name
            for source, target, name in _edges()
            if source == "notifications" and target in FEATURES and target != "auth"
        )
        == []
    )


def test_polls_do_not_know_decisions():
    assert not any(source == "polls" and target == "decisions" for source, target, _ in _edges())


def _cycles(graph: dict[str, set[str]]) -> list[tuple[str, ...]]:
    def cycle_from(start: str, path: tuple[str, ...]) -> tuple[str, ...] | None:
        for following in sorted(graph.get(path[-1], ())):
            if following == start:
                return (*path, start)
            if following not in path:
                found = cycle_from(start, (*path, following))
                if found:
                    return found
        return None

    return [cycle for package in sorted(graph) if (cycle := cycle_from(package, (package,)))]


def test_no_cycle_between_packages():
    graph: dict[str, set[str]] = {}
    for source, target, _ in _edges():
        graph.setdefault(source, set()).add(target)
    assert _cycles(graph) == []


def _function_level_imports(modules: list[tuple[str, ast.Module]]) -> list[str]:
    found = []
    for path, tree in modules:
        for function in ast.walk(tree):
            if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            if function.name == "init_app" and path.endswith("__init__.py"):
                continue  # a feature registers its blueprint, rules and seeders here (the reason is in each)
            for node in ast.walk(function):
                if any(name.startswith("protect") for name in _imported(node)):
                    found.append(f"{path}:{node.lineno}")
    return found


def test_the_projects_modules_are_imported_at_the_top():
    assert [place for place in _function_level_imports(_modules()) if place.split(":")[0] not in PENDING] == []


def test_the_checks_see_a_cycle_and_an_import_inside_a_method():
    assert _cycles({"polls": {"decisions"}, "decisions": {"polls"}, "home": {"core"}}) == [
        ("decisions", "polls", "decisions"),
        ("polls", "decisions", "polls"),
    ]
    source = "import protect.core\n\nclass A:\n    def f(self):\n        from protect.polls import services\n"
    assert _function_level_imports([("m.py", ast.parse(source))]) == ["m.py:5"]
