"""The SFO review in Word: ``render_review_docx`` against python-docx ``add_row``.

A synthetic review (seeded, made up) with a chronology of 2,000 entries, then
10,000. Our side is the whole ``render_review_docx`` (prepare, the template's
``{%tr for %}`` row loop, save, and the check that what must be shown is
shown) to bytes. The baseline is the obvious python-docx approach for the
chronology alone: ``Document()``, ``add_table`` with a heading row, then for
each entry ``table.add_row()`` and each of the five cells' ``.text`` set
(date and time, category, title and detail, record id, staff code), saved to
bytes. Each side is the best of three, interleaved, after a ``gc.collect()`` and with
the garbage collector off while timed (as ``timeit`` does). Target: at most 0.1x at
2,000 entries; the growth from 2,000 to 10,000 entries is reported (linear is
about 5x). A Word template is compiled once per content and then cached, so the
first render of a template a process has not seen is reported too (at 2,000
entries, each time through a copy of the template no render has seen). Run as
``python -m bench --only review``.
"""

from __future__ import annotations

import functools
import gc
import io
import random
import tempfile
import time
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

TARGET = 0.1
RUNS = 3
CATEGORIES = ("Appointment", "Home visit", "Police information", "Telephone contact",
              "Risk review", "Management oversight", "Partnership", "Unacceptable absence")
TITLES = ("Planned office appointment attended", "Home visit: no reply at the address",
          "Domestic abuse call-out notification from the police", "Telephone contact",
          "OASys risk review completed", "Case discussed in supervision",
          "MARAC referral made", "Failed to attend without an acceptable reason")
DETAILS = ("Discussed the sentence plan, alcohol use and the relationship with the partner. "
           "Next appointment booked.",
           "Card left. Neighbour said the person had moved out for a few days.",
           "Police attended a verbal argument; no arrest; children present.",
           "Said work has been busy; agreed to attend on Thursday.",
           "Risk to known adult kept at high; the plan was updated with the new address.",
           "Manager agreed the plan and asked for a home visit within five working days.",
           "", "Warning letter sent.")


def review_context(rows: int, seed: int = 42) -> dict[str, Any]:
    """A made-up SFO review with ``rows`` chronology entries (seeded)."""
    rng = random.Random(seed)
    chronology = []
    for i in range(rows):
        kind = rng.randrange(len(TITLES))
        day = 1 + i * 700 // max(rows, 1)
        chronology.append({
            "date": f"{1 + day % 28} {('January', 'March', 'June', 'October')[day % 4]} "
                    f"{2025 + day // 365}",
            "time": f"{rng.randrange(8, 18):02d}:{rng.choice((0, 15, 30, 45)):02d}"
                    if rng.random() < 0.7 else "",
            "category": CATEGORIES[kind], "title": TITLES[kind], "detail": DETAILS[kind],
            "record_id": f"C{100000 + i}",
            "staff_code": f"N07{rng.choice('ABCD')}{rng.randrange(100, 999)}",
            "sensitive": rng.random() < 0.05})
    analysis = {k: "The record shows the assessment was timely and reviewed. " * 6
                for k in ("assessment", "planning", "implementation_and_delivery",
                          "reviewing", "risk_management", "management_oversight")}
    return {"status": "draft", "version": "1", "title": "SFO review",
            "generated": "3 February 2027",
            "case": {"crn": "X320741", "name": "Alex Example",
                     "sentence": "Community order, 18 months", "start": "8 January 2025",
                     "as_of": "20 November 2026", "risk_profile": "High RoSH, known adult"},
            "chronology": chronology, "analysis": analysis,
            "judgement": {"all_reasonable_steps": "Partly", "reasons": "See the analysis."}}


def python_docx_add_row(context: dict[str, Any]) -> bytes:
    """The baseline: the chronology as a python-docx table, one ``add_row`` per entry."""
    from docx import Document

    doc = Document()
    table = doc.add_table(rows=1, cols=5)
    for cell, text in zip(table.rows[0].cells, ("Date", "Category", "What was recorded",
                                                 "Record", "Staff"), strict=True):
        cell.text = text
    for e in context["chronology"]:
        cells = table.add_row().cells
        cells[0].text = f"{e['date']}\n{e['time']}" if e["time"] else e["date"]
        cells[1].text = e["category"]
        cells[2].text = f"{e['title']}\n{e['detail']}" if e["detail"] else e["title"]
        cells[3].text = e["record_id"]
        cells[4].text = e["staff_code"]
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _best(fns: dict[str, Callable[[], Any]]) -> dict[str, float]:
    best = {name: float("inf") for name in fns}
    for _ in range(RUNS):
        for name, fn in fns.items():
            gc.collect()  # the other side's garbage is not this side's time
            gc.disable()  # as timeit does, for both sides
            try:
                start = time.perf_counter()
                fn()
                best[name] = min(best[name], time.perf_counter() - start)
            finally:
                gc.enable()
    return best


def _unseen_copy(source: Path, folder: Path, n: int) -> Path:
    """The template at ``source`` with a zip comment of its own: bytes no render has seen."""
    path = folder / f"{n}-{source.name}"
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(path, "w") as zout:
        zout.comment = f"benchmark copy {n}".encode()
        for item in zin.infolist():
            zout.writestr(item, zin.read(item.filename))
    return path


def _first_render(ctx: dict[str, Any]) -> float:
    """The best of RUNS first renders, each through a template copy the cache has not seen."""
    from sfo.documents import rendering, review

    best = float("inf")
    with tempfile.TemporaryDirectory() as folder:
        for n in range(RUNS):
            path = _unseen_copy(rendering.TEMPLATES / review.REVIEW_DOCX, Path(folder), n)
            gc.collect()
            gc.disable()
            try:
                start = time.perf_counter()
                review.render_review_docx(ctx, template=path)
                best = min(best, time.perf_counter() - start)
            finally:
                gc.enable()
    return best


def report(rows: int = 2_000, growth_rows: int = 10_000) -> dict[str, float]:
    """Print our renderer over the python-docx baseline at two sizes, the growth, a first render."""
    from sfo.documents import review

    figures: dict[str, float] = {}
    ours: dict[int, float] = {}
    base: dict[int, float] = {}
    for n in (rows, growth_rows):
        ctx = review_context(n)
        t = _best({"ours": functools.partial(review.render_review_docx, ctx),
                   "base": functools.partial(python_docx_add_row, ctx)})
        ours[n], base[n] = t["ours"], t["base"]
        ratio = t["ours"] / t["base"]
        figures[f"ratio_{n}"] = ratio
        target = f"target <= {TARGET}x" if n == rows else "reported"
        print(f"review docx / python-docx add_row at {n:,} rows  {ratio:.3f}x "
              f"({t['ours']:.3f} s against {t['base']:.3f} s; {target})")
    growth = ours[growth_rows] / ours[rows]
    figures["growth"] = growth
    print(f"review docx growth {growth_rows:,} / {rows:,} rows  {growth:.2f}x "
          f"(linear is about {growth_rows / rows:.0f}x)")
    first = _first_render(review_context(rows))
    figures["first_render"] = first
    print(f"review docx first render of a template at {rows:,} rows, compiling it  "
          f"{first / base[rows]:.3f}x ({first:.3f} s against {base[rows]:.3f} s; reported)")
    return figures
