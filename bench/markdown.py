"""The Markdown section of the bench: hostile texts at each field's length limit against an ordinary text.

    python -m bench --markdown-only     this section alone (about a minute, no server, no database)

Every field that members write in Markdown is rendered by ``protect.core.text``. For each field's limit, each
hostile family below is rendered at that length, and the slowest is reported as a ratio to an ordinary text of
the same length (milliseconds for information). A second table renders every family at 25,000, 50,000, 100,000
and 200,000 characters: linear time doubles with each doubling of the length. A family that raises fails the
section (the page would have been a 500); the renderer's own fallback is not used here, so it cannot hide one.
Times are the process's CPU time, the best of three, so that other work on the machine does not count.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable

from protect.agendas.models import NOTES_MAX as AGENDA_NOTES_MAX
from protect.decisions.models import MINUTES_MAX, TEXT_MAX
from protect.guidelines.models import BODY_MAX, COMMENT_MAX
from protect.polls.models import DESCRIPTION_MAX as POLL_DESCRIPTION_MAX
from protect.programme.models import DESCRIPTION_MAX as PROGRAMME_DESCRIPTION_MAX
from protect.programme.models import TAKE_PART_MAX

# Every Markdown field and its limit (the forms' Length validators). Fields that share a limit share a row.
FIELDS: dict[int, list[str]] = {}
for _field, _limit in (
    ("guideline summary", 2_000),  # GuidelineForm.summary
    ("training: how to take part", TAKE_PART_MAX),
    ("guideline comment", COMMENT_MAX),
    ("poll description", POLL_DESCRIPTION_MAX),
    ("agenda item notes, event description", AGENDA_NOTES_MAX),
    ("decision text and rationale", TEXT_MAX),
    ("training description", PROGRAMME_DESCRIPTION_MAX),
    ("meeting minutes", MINUTES_MAX),
    ("guideline section body (revisions)", BODY_MAX),
):
    FIELDS.setdefault(_limit, []).append(_field)

SCALING = (25_000, 50_000, 100_000, 200_000)


def _fill(unit: str, n: int) -> str:
    return (unit * (n // len(unit) + 1))[:n]


def _nested_lines(prefix: str, line: str, n: int) -> str:
    """Lines with one more ``prefix`` each: ``- a``, ``  - a``, ``    - a``, ... up to n characters."""
    parts, size, depth = [], 0, 0
    while size < n:
        part = prefix * depth + line
        parts.append(part)
        size += len(part)
        depth += 1
    return "".join(parts)[:n]


def _soup(n: int) -> str:
    """Markdown's special characters at random (always the same draw)."""
    chance = random.Random(16)  # a fixed text, the same each run
    return "".join(chance.choices("[]()!*_`<>-#|:&\\\n> ~=\"'/a", k=n))


def _half(open_: str, middle: str, close: str, n: int) -> str:
    each = max(1, (n - len(middle)) // (len(open_) + len(close)))
    return (open_ * each + middle + close * each)[:n]


# Each family: length -> a text of that length. The runs, nestings and mixtures that made the old renderer
# quadratic or made it raise, and the ones a parser of this kind is known to be weak on.
FAMILIES: dict[str, Callable[[int], str]] = {
    "[ run": lambda n: "[" * n,
    "] run": lambda n: "]" * n,
    "![ run": lambda n: _fill("![", n),
    "[a]( run": lambda n: _fill("[a](", n),
    "[[[ ]]] nested": lambda n: _half("[", "a", "]", n),
    "[a]: refs": lambda n: "".join(f"[r{i}]: https://example.org/{i}\n" for i in range(n // 20 + 1))[:n],
    "[a] uses of one ref": lambda n: ("[a]: https://example.org\n\n" + _fill("[a] ", n))[:n],
    "[a][b] unresolved": lambda n: _fill("[a][b] ", n),
    "* run": lambda n: "*" * n,
    "*a run": lambda n: _fill("*a", n),
    "_a run": lambda n: _fill("_a", n),
    "**a / a** halves": lambda n: _half("**a ", "", " a**", n),
    "*_ alternating": lambda n: _fill("*_", n),
    "***a*** nested": lambda n: _half("*", "a", "*", n),
    "~~a run": lambda n: _fill("~~a", n),
    "` run": lambda n: "`" * n,
    "`a run": lambda n: _fill("`a", n),
    "growing ` runs": lambda n: "".join("`" * k + "a" for k in range(1, 2 * int(n**0.5) + 2))[:n],
    "< run": lambda n: "<" * n,
    "<a run": lambda n: _fill("<a ", n),
    "<div> unclosed": lambda n: _fill("<div>", n),
    "<b> unclosed": lambda n: _fill("<b>", n),
    "<b><i></b></i> misnested": lambda n: _fill("<b><i></b></i>", n),
    "</b> run": lambda n: _fill("</b>", n),
    "<!-- unclosed": lambda n: _fill("<!--", n),
    "<a href=' unclosed": lambda n: _fill("<a href='", n),
    "<script> unclosed": lambda n: _fill("<script>", n),
    "> run (nested quotes)": lambda n: ">" * n,
    "> > > nested quotes": lambda n: _fill("> ", n),
    "growing > lines": lambda n: _nested_lines(">", " a\n", n),
    "- - - nested list": lambda n: _fill("- ", n),
    "1. 1. nested list": lambda n: _fill("1. ", n),
    "indented nested list": lambda n: _nested_lines("  ", "- a\n", n),
    "> - nested quote+list": lambda n: _fill("> - ", n),
    "flat list": lambda n: _fill("- a\n", n),
    "table rows": lambda n: ("| a | b |\n|---|---|\n" + _fill("| x | y |\n", n))[:n],
    "wide table, 1-cell rows": lambda n: ("|" * (n // 4) + "\n" + "|-" * (n // 8) + "\n" + _fill("a\n", n))[:n],
    "definition list": lambda n: ("a\n" + _fill(": b\n", n))[:n],
    "nested definitions": lambda n: "a\n" + _fill(": ", n - 2),
    "setext headings": lambda n: _fill("a\n=\n", n),
    "# run": lambda n: "#" * n,
    "``` fences": lambda n: _fill("```\n", n),
    "&# entities": lambda n: _fill("&#", n),
    "& run": lambda n: "&" * n,
    "& run in raw HTML": lambda n: ("<div>\n" + _fill("& ", n))[:n],
    '<b a="" ...> attributes': lambda n: ("<b" + "".join(f' a{i}=""' for i in range(n // 6)))[: n - 1] + ">",
    "long link title with &": lambda n: ('[a](https://example.org "' + "&" * n)[: n - 2] + '")',
    "\\ run": lambda n: "\\" * n,
    "[*_`<>![ mixture": lambda n: _fill("[*_`<>![", n),
    "random soup": _soup,
}


def _exact(make: Callable[[int], str]) -> Callable[[int], str]:
    return lambda n: (make(n) + "a" * n)[:n]


FAMILIES = {name: _exact(make) for name, make in FAMILIES.items()}

_ORDINARY = (
    "## Identification of child victims\n\n"
    "Front-line professionals are often the **first to meet** a child who may be a victim. This section sets out "
    "*what to look for*, whom to tell, and how to record it; see the [UNCRC](https://www.ohchr.org/en/crc) and "
    "`Art. 3`.\n\n"
    "- Listen to the child and take what they say seriously.\n"
    "- Write down the child's own words, not your interpretation.\n"
    "  1. the date and place\n"
    "  2. who was present\n\n"
    "> The best interests of the child shall be a primary consideration.\n\n"
    "| Country | Contact point | Hours |\n|:---|:---|---:|\n| Estonia | Lasteabi 116 111 | 24 |\n"
    "| Latvia | 116 111 | 24 |\n\n"
    "Barnahus\n: A child-friendly house where police, health and social services meet the child.\n\n"
)


def ordinary(n: int) -> str:
    """An ordinary guideline text of n characters: headings, emphasis, links, lists, a quote, a table."""
    return _fill(_ORDINARY, n)


def _ms(render: Callable[[str], object], source: str, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.process_time()
        render(source)
        best = min(best, time.process_time() - started)
    return best * 1000


def run(repeat: int = 3, scaling: tuple[int, ...] = SCALING, log: Callable[[str], None] = print) -> dict:
    """Render every family at every limit and at the scaling lengths; return the section of the results JSON."""
    from protect.core import text

    render = text._render  # not render_markdown: no cache, and no fallback to hide an exception
    failures: list[str] = []

    def measure(name: str, source: str) -> float | None:
        try:
            return _ms(render, source, repeat)
        except Exception as error:  # noqa: BLE001 - reported, and fails the section
            failures.append(f"{name} at {len(source):,}: {type(error).__name__}: {error}"[:200])
            return None

    render("warm *up*")
    fields = []
    for limit, names in sorted(FIELDS.items()):
        base = _ms(render, ordinary(limit), repeat)
        times = {family: measure(family, make(limit)) for family, make in FAMILIES.items()}
        worst = max((f for f in times if times[f] is not None), key=lambda f: times[f])
        fields.append(
            {
                "limit": limit,
                "fields": names,
                "ordinary_ms": round(base, 2),
                "worst_family": worst,
                "worst_ms": round(times[worst], 2),
                "ratio": round(times[worst] / base, 2),
                "ms_by_family": {f: None if t is None else round(t, 2) for f, t in times.items()},
            }
        )
        log(f"  {limit:>7,} chars: ordinary {base:7.1f} ms, worst {times[worst]:7.1f} ms ({worst})")
    growth = []
    for family, make in {"ordinary text": ordinary, **FAMILIES}.items():
        times = [measure(family, make(n)) for n in scaling]
        growth.append({"family": family, "ms": [None if t is None else round(t, 2) for t in times]})
    return {"fields": fields, "scaling_lengths": list(scaling), "scaling": growth, "failures": failures}


def doublings(row: dict) -> list[float | None]:
    """How much longer each doubling of the length took (2.0 is linear)."""
    ms = row["ms"]
    return [None if a is None or b is None or a <= 0 else round(b / a, 2) for a, b in zip(ms, ms[1:], strict=False)]


def print_report(section: dict) -> None:
    print("\nMarkdown: the slowest hostile text at each field's limit, against an ordinary text of that length")
    head = f"{'limit':>8}  {'ordinary ms':>11}  {'worst ms':>9}  {'ratio':>6}  worst family · fields"
    print(head)
    print("-" * 100)
    for row in section["fields"]:
        print(
            f"{row['limit']:>8,}  {row['ordinary_ms']:>11.1f}  {row['worst_ms']:>9.1f}  {row['ratio']:>6.1f}  "
            f"{row['worst_family']} · {', '.join(row['fields'])}"
        )
    lengths = section["scaling_lengths"]
    print(f"\nTime per length ({', '.join(f'{n:,}' for n in lengths)} characters) and growth per doubling (2.0 linear)")
    rows = sorted(section["scaling"], key=lambda r: -(r["ms"][-1] or 0))
    for row in rows:
        ms = " ".join("  error" if t is None else f"{t:7.1f}" for t in row["ms"])
        growth = " ".join("  -" if g is None else f"{g:4.1f}" for g in doublings(row))
        print(f"  {row['family']:<28}{ms}  ms   x{growth}")
    if section["failures"]:
        print("\nFAILED (raised instead of rendering):\n  " + "\n  ".join(section["failures"]))
