"""Where a request's time goes: ``python -m bench.profile [--full] [target name ...]``.

Generates the benchmark's data in a throwaway SQLite file, then runs each named request (all when none is
named) in process: the median milliseconds of a few runs (without the profiler), SQL queries, and the
functions that took the most time.
"""

from __future__ import annotations

import argparse
import contextvars
import cProfile
import io
import os
import pstats
import re
import shutil
import statistics
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="target names (default: all)")
    parser.add_argument("--full", action="store_true", help="the full data set (default: the quick one)")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--sort", default="tottime", help="a pstats order: tottime (default), cumulative, ...")
    args = parser.parse_args()

    from bench import datagen, targets
    from bench.__main__ import _app

    workdir = Path(tempfile.mkdtemp(prefix="protect-profile-"))
    os.environ["PROTECT_INSTANCE_PATH"] = str(workdir / "instance")
    try:
        url = f"sqlite:///{workdir / 'bench.sqlite'}"
        app = _app(url, "profile-secret")
        contextvars.Context().run(datagen.generate, app, datagen.FULL if args.full else datagen.QUICK)
        plan = contextvars.Context().run(targets.build, app, datagen.FULL if args.full else datagen.QUICK)
        for target in plan:
            if args.names and target.name not in args.names:
                continue
            first = contextvars.Context().run(targets.probe, app, target)
            last, timings = first, []
            profiler = cProfile.Profile()
            for number in range(2 * args.runs):  # first without the profiler (the timing), then with it
                _follow_version(target, last)
                profiling = number >= args.runs
                started = time.perf_counter()
                if profiling:
                    profiler.enable()
                last = contextvars.Context().run(
                    targets.request, app, target.method, target.probe_path or target.path, target.headers,
                    target.probe_body if target.probe_path else target.body,
                )  # fmt: skip
                if profiling:
                    profiler.disable()
                else:
                    timings.append((time.perf_counter() - started) * 1000)
            size = f"{first['queries']} queries, {first['bytes']:,} bytes, status {last['status']}"
            print(f"\n=== {target.name}: median {statistics.median(timings):.2f} ms (min {min(timings):.2f}), {size}")
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats(args.sort).print_stats(args.top)
            print(out.getvalue().split("\n", 6)[-1] if args.names else "", end="")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _follow_version(target, last: dict) -> None:
    """A save sends the version its item is at now (read from the previous save's answer), so every run is a
    real save rather than a 409 conflict."""
    if target.probe_body is None:
        return
    found = re.search(r'data-version="(\d+)"', last["body"]) or re.search(r'name="version" value="(\d+)"', last["body"])
    if found:
        target.probe_body = re.sub(r"version=\d+", f"version={found.group(1)}", target.probe_body)


if __name__ == "__main__":
    main()
