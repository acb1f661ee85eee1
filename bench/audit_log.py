"""The audit log browser on a long log: with its indexes against without them.

A made-up audit log (seed 42: 200 users, nine kinds of action, a CRN on each
entry, one entry every 20 seconds from 1 January 2024) of ``size`` entries is
written straight into a SQLite database made by the migrations. Each look is
``sfo.services.admin.audit_log`` as the Audit log page calls it (one page of
50, newest first, how many match, the kinds of action the log holds, and the
audit entry for the look itself), best of three:

- the newest page, unfiltered, and page 50 of it;
- one day; one kind of action; one CRN; part of a user name.

Baseline: the same looks on a copy of the same database with the two indexes
of migration ``b7e4c2a9d015`` (on ``at`` and ``action``) dropped. The ratio
is indexed / unindexed: below 1x is faster. Also printed: the indexed looks
at ``size`` entries over the same at ``small`` entries (how the browser
slows as the log grows). Run as ``python -m bench --only audit``.
"""

from __future__ import annotations

import random
import shutil
import sqlite3
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

SEED = 42
RUNS = 3
ACTIONS = ("view", "view", "view", "search", "search", "import", "update", "create",
           "finalise", "sign_in", "sign_out", "export")
START = datetime(2024, 1, 1, tzinfo=UTC)
STEP = timedelta(seconds=20)


def _looks(size: int) -> dict[str, dict[str, Any]]:
    """The looks timed, each as the keyword arguments of ``admin.audit_log``."""
    middle = (START + STEP * (size // 2)).date()
    return {"newest page": {}, "page 50": {"page": 50},
            "one day": {"start": middle, "end": middle},
            "one action": {"action": "finalise"},
            "one CRN": {"crn": "X123456"},
            "part of a user name": {"user": "user042"}}


def make_log(folder: Path, size: int) -> Path:
    """A migrated SQLite database holding ``size`` made-up audit entries."""
    from sfo import bootstrap
    from sfo.services import database

    path = folder / f"audit-{size}.db"
    engine = bootstrap.engine(f"sqlite:///{path}")
    try:
        database.upgrade(engine=engine, uow=bootstrap.unit_of_work(engine), actor="bench")
    finally:
        engine.dispose()
    rng = random.Random(SEED)
    users = [f"user{i:03d}" for i in range(200)]
    conn = sqlite3.connect(path)
    try:
        conn.execute("DELETE FROM audit_log")
        first = START.replace(tzinfo=None)
        rows = ((i, (first + STEP * i).strftime("%Y-%m-%d %H:%M:%S.%f"), rng.choice(users),
                 rng.choice(ACTIONS), "case", f"X{rng.randrange(10**6):06d}",
                 f"X{rng.randrange(10**6):06d}", "looked at the case", "0" * 64, "0" * 64)
                for i in range(1, size + 1))
        conn.executemany("INSERT INTO audit_log (seq, at, actor, action, object_type, "
                         "object_id, crn, summary, prev_hash, entry_hash) "
                         "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
        conn.execute("DELETE FROM audit_head")
        conn.execute("INSERT INTO audit_head (id, seq, entry_hash) VALUES (1, ?, ?)",
                     (size, "0" * 64))
        conn.commit()
        conn.execute("ANALYZE")
    finally:
        conn.close()
    return path


def without_indexes(path: Path) -> Path:
    """A copy of the database with the audit log's ``at`` and ``action`` indexes dropped."""
    copy = path.with_name(path.stem + "-unindexed.db")
    shutil.copyfile(path, copy)
    conn = sqlite3.connect(copy)
    try:
        conn.execute("DROP INDEX ix_audit_log_at")
        conn.execute("DROP INDEX ix_audit_log_action")
        conn.execute("ANALYZE")
        conn.commit()
    finally:
        conn.close()
    return copy


def _best(run: Callable[[], Any]) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(RUNS):
        t0 = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - t0)
    return best, result


def time_looks(path: Path, looks: dict[str, dict[str, Any]]) -> dict[str, tuple[float, int]]:
    """Best-of-RUNS seconds for each look at the log in ``path``, and how many entries
    it matched."""
    from sfo.domain.access import Actor
    from sfo.services import admin

    actor = Actor("bench.admin", "Bench Admin", ("admin",))
    url = f"sqlite:///{path}"
    out = {}
    for name, kw in looks.items():
        seconds, page = _best(lambda kw=kw: admin.audit_log(actor=actor, url=url, **kw))
        out[name] = (seconds, int(page.total))
    return out


def report(size: int = 1_000_000, small: int = 10_000
           ) -> dict[str, dict[str, tuple[float, int]]]:
    """Print each look's time with and without the indexes, and at both sizes."""
    print(f"Audit log browser: {size:,} made-up entries on SQLite (seed {SEED}), "
          f"pages of 50, best of {RUNS}")
    with tempfile.TemporaryDirectory(prefix="sfo-bench-audit-") as tmp:
        folder = Path(tmp)
        big = make_log(folder, size)
        looks = _looks(size)
        indexed = time_looks(big, looks)
        unindexed = time_looks(without_indexes(big), looks)
        little = time_looks(make_log(folder, small), _looks(small))
    for name in looks:
        (a, found), (b, _), (c, _) = indexed[name], unindexed[name], little[name]
        print(f"  {name:20} ({found:>9,} match) {a * 1000:6.1f} ms against {b * 1000:6.1f} ms "
              f"without the indexes: {a / b:4.2f}x;  {a / c:4.1f}x the look at {small:,}")
    return {"indexed": indexed, "unindexed": unindexed, "small": little}


if __name__ == "__main__":
    report()
