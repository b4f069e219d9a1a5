"""The garbage collector's full pass in a serving process, before and after `joinedup.heap` settles it.

Builds the app as `joinedup serve` does (every area's routes, the FHIR models) over a scratch SQLite
database, times `gc.collect()` (a full pass, as CPython runs now and then under load, stalling every request
in flight) a few times, then settles the heap and times it again. Prints both and, last, `ratio: X`
(settled / unsettled; lower is better).

    .venv/bin/python bench/heap_pause.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import gc
import statistics
import tempfile
import time
from pathlib import Path

from joinedup.db import create_engine, session_factory, upgrade
from joinedup.heap import settle_after_start_up
from joinedup.settings import Settings
from joinedup.web.app import create_app


def full_pass_ms(repeat: int) -> float:
    """The median of `repeat` full collections, in milliseconds."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        gc.collect()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/heap.db"
        engine = create_engine(url)
        upgrade(engine)
        settings = Settings(database_url=url, secret_key="h" * 40, secret_file=Path(folder) / "secret")
        app = create_app(settings, sessions=session_factory(engine))
        tracked = len(gc.get_objects())
        before = full_pass_ms(args.repeat)
        frozen = settle_after_start_up()
        after = full_pass_ms(args.repeat)
        print(f"app built: {len(app.routes)} top-level routes, {tracked:,} objects tracked by the collector")
        print(f"full collection before settling: {before:8.2f} ms (median of {args.repeat})")
        print(f"full collection after settling:  {after:8.2f} ms ({frozen:,} objects frozen)")
        print(f"ratio: {after / before:.4f}")
        engine.dispose()


if __name__ == "__main__":
    main()
