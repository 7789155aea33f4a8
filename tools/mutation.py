"""`make mutation`: mutmut over each core module, each against its own unit tests only.

mutmut reads one configuration per directory and keeps its results in ``mutants/`` under it, but each module
here has its own tests. So every target (``[tool.protect.mutation.<name>]`` in pyproject.toml) gets its own
directory, ``mutants/<name>/``, holding links to ``protect/`` and ``tests/`` and a pyproject.toml whose
``[tool.mutmut]`` is the shared one plus the target's module and tests. mutmut runs there, copies the sources
into ``mutants/<name>/mutants/`` and records a verdict per mutant; this script then counts them.

A survivor listed in the target's ``equivalent`` list (by mutant name AND the mutated line, so a list gone
stale after the module changed is reported instead of silently trusted) counts as equivalent: no test can
tell it from the original. docs/mutation.md says why each one is.

    python tools/mutation.py                 every target
    python tools/mutation.py permissions     one or more targets by name
    MUTATION_JOBS=4 python tools/mutation.py more workers (default 2)
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib
from dataclasses import dataclass, field
from fnmatch import fnmatch
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "mutants"
MUTMUT = Path(sys.executable).parent / "mutmut"

# mutmut's exit codes (mutmut/stats.py), grouped the way this report counts them.
KILLED = {1, 3}
TIMEOUT = {24, -24, 36, 152, 255}
SURVIVED = {0}
NO_TESTS = {5, 33}


@dataclass
class Target:
    name: str
    module: str
    tests: list[str]
    functions: list[str] = field(default_factory=list)
    equivalent: list[dict[str, str]] = field(default_factory=list)
    # Other folders the tests import (e.g. "bench" for the hostile Markdown texts): linked and copied like tests/.
    also_copy: list[str] = field(default_factory=list)

    @property
    def dotted(self) -> str:
        return self.module.removesuffix(".py").replace("/", ".")

    @property
    def patterns(self) -> list[str]:
        """mutmut names a mutant ``<module>.x_<function>__mutmut_<n>`` (methods: ``xǁClassǁmethod``)."""
        if not self.functions:
            return [f"{self.dotted}.*"]
        return [f"{self.dotted}.x_{name}__mutmut_*" for name in self.functions]


def load() -> tuple[dict, dict[str, Target]]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    shared = config["tool"]["mutmut"]
    targets = {name: Target(name=name, **values) for name, values in config["tool"]["protect"]["mutation"].items()}
    return shared, targets


def toml_value(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)  # lists of strings, numbers and booleans read the same in TOML


def prepare(target: Target, shared: dict) -> Path:
    """mutants/<name>/: links to the sources and tests, and the project's pyproject.toml with this target's
    [tool.mutmut] in place of the shared one (pytest keeps reading its own section from the same file)."""
    home = WORK / target.name
    home.mkdir(parents=True, exist_ok=True)
    for name in ("protect", "tests", *target.also_copy):
        link = home / name
        if not link.is_symlink():
            link.symlink_to(Path("..") / ".." / name, target_is_directory=True)
    settings = {
        **shared,
        "only_mutate": [target.module],
        "also_copy": [*shared.get("also_copy", []), *target.also_copy],
        "pytest_add_cli_args_test_selection": target.tests,
    }
    text = (ROOT / "pyproject.toml").read_text("utf-8")
    text = re.sub(r"(?ms)^\[tool\.mutmut\]\n.*?(?=^\[|\Z)", "", text)
    text += "\n[tool.mutmut]\n" + "".join(f"{key} = {toml_value(value)}\n" for key, value in settings.items())
    (home / "pyproject.toml").write_text(text, "utf-8")
    return home


def run_mutmut(target: Target, home: Path, jobs: int) -> bool:
    """Run every mutant of the target again (naming them makes mutmut re-run them, so results never come from
    an earlier version of the tests). The chatty progress output goes to mutants/<name>/mutmut.log."""
    log = home / "mutmut.log"
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    with log.open("w") as out:
        done = subprocess.run(
            [str(MUTMUT), "run", "--max-children", str(jobs), *target.patterns],
            cwd=home,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            check=False,
        )
    if done.returncode != 0:
        print(f"  mutmut failed (exit {done.returncode}); the end of {log.relative_to(ROOT)}:")
        print("    " + "\n    ".join(log.read_text(errors="replace").splitlines()[-25:]))
        return False
    return True


def verdicts(target: Target, home: Path) -> dict[str, int | None]:
    meta = json.loads((home / "mutants" / (target.module + ".meta")).read_text("utf-8"))
    return {
        name: code
        for name, code in meta["exit_code_by_key"].items()
        if any(fnmatch(name, pattern) for pattern in target.patterns)
    }


def mutated_line(home: Path, mutant: str) -> str:
    """The line the mutant changed, as `mutmut show` prints it (the first added line of its diff)."""
    shown = subprocess.run([str(MUTMUT), "show", mutant], cwd=home, capture_output=True, text=True, check=False).stdout
    added = [line[1:].strip() for line in shown.splitlines() if line.startswith("+") and not line.startswith("+++")]
    return added[0] if added else ""


@dataclass
class Score:
    killed: int = 0
    timeout: int = 0
    survived: list[str] = field(default_factory=list)
    no_tests: list[str] = field(default_factory=list)
    equivalent: int = 0
    other: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)

    @property
    def meaningful(self) -> int:
        return self.killed + self.timeout + len(self.survived) + len(self.no_tests) + len(self.other)

    @property
    def percent(self) -> float:
        return 100.0 * (self.killed + self.timeout) / self.meaningful if self.meaningful else 100.0


def score(target: Target, home: Path) -> Score:
    result = Score()
    documented = {entry["mutant"]: entry for entry in target.equivalent}
    for name, code in sorted(verdicts(target, home).items()):
        short = name.removeprefix(target.dotted + ".")
        if code in KILLED:
            result.killed += 1
        elif code in TIMEOUT:
            result.timeout += 1
        elif code in SURVIVED or code in NO_TESTS:
            entry = documented.pop(short, None)
            if entry is not None and mutated_line(home, name) == entry["change"].strip():
                result.equivalent += 1
                continue
            if entry is not None:
                result.stale.append(f"{short}: listed as equivalent, but it now changes {mutated_line(home, name)!r}")
            (result.survived if code in SURVIVED else result.no_tests).append(short)
        else:
            result.other.append(f"{short} (exit {code})")
    result.stale += [f"{short}: listed as equivalent, but it was killed or no longer exists" for short in documented]
    return result


def by_function(names: list[str]) -> dict[str, list[str]]:
    """``x_cast_ballot__mutmut_7`` and ``x_cast_ballot__mutmut_12`` -> {"x_cast_ballot": ["7", "12"]}."""
    grouped: dict[str, list[str]] = {}
    for name in names:
        function, _, number = name.rpartition("__mutmut_")
        grouped.setdefault(function, []).append(number)
    return {function: sorted(numbers, key=int) for function, numbers in grouped.items()}


def report(target: Target, result: Score, home: Path) -> None:
    print(
        f"  killed {result.killed + result.timeout}"
        + (f" (of which {result.timeout} by timeout)" if result.timeout else "")
        + f", survived {len(result.survived)}, not reached by its tests {len(result.no_tests)}"
        + (f", other {len(result.other)}" if result.other else "")
        + f", equivalent (documented) {result.equivalent}"
    )
    print(f"  {result.percent:.1f} % of the {result.meaningful} non-equivalent mutants killed")
    for label, names in (("survived", result.survived), ("not reached", result.no_tests)):
        for function, numbers in by_function(names).items():
            print(f"    {label}: {function} {' '.join(numbers)}")
    for label, lines in (("other", result.other), ("stale", result.stale)):
        for line in lines:
            print(f"    {label}: {line}")
    if result.survived or result.no_tests:
        print(f"  see one: (cd {home.relative_to(ROOT)} && {MUTMUT} show {target.dotted}.<function>__mutmut_<n>)")


def main(argv: list[str]) -> int:
    shared, targets = load()
    unknown = [name for name in argv if name not in targets]
    if unknown:
        print(f"unknown target(s) {', '.join(unknown)}; the targets are: {', '.join(targets)}")
        return 2
    jobs = int(os.environ.get("MUTATION_JOBS", "2"))
    summary = []
    for name in argv or list(targets):
        target = targets[name]
        where = target.module + (f" ({', '.join(target.functions)})" if target.functions else "")
        print(f"== {name}: {where} against {' '.join(target.tests)}", flush=True)
        home = prepare(target, shared)
        if not run_mutmut(target, home, jobs):
            summary.append((name, None))
            continue
        result = score(target, home)
        report(target, result, home)
        summary.append((name, result))
    print("\n== summary (killed / survived / equivalent-documented, % of non-equivalent killed)")
    for name, result in summary:
        if result is None:
            print(f"  {name:<22} mutmut failed")
        else:
            missed = len(result.survived) + len(result.no_tests) + len(result.other)
            print(
                f"  {name:<22} {result.killed + result.timeout:>4} / {missed:>3} / {result.equivalent:>3}"
                f"   {result.percent:5.1f} %"
            )
    return 1 if any(result is None for _, result in summary) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
