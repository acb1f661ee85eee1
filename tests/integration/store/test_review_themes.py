"""`sfo reviews themes` over stored reviews, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date

import pandas as pd
import pytest

from fixtures.generate import generate_bundle
from fixtures.reviews import write_reviews
from sfo import cli
from sfo.services import records, reviews, themes

TODAY = date(2024, 11, 15)


@pytest.fixture
def stored_reviews(engine, db_url, tmp_path) -> tuple[str, list[int], pd.DataFrame]:
    bundle = tmp_path / "region"
    generate_bundle(bundle, people=30, seed=8)
    records.import_bundle(bundle, url=db_url, actor="importer")
    people = pd.read_csv(bundle / "people.csv")
    ids = write_reviews(people["crn"].tolist()[:6], url=db_url, seed=4, today=TODAY)
    return db_url, ids, people


def test_factor_and_finding_counts_match_the_stored_reviews(stored_reviews):
    url, ids, _ = stored_reviews
    report = themes.across_reviews(url=url)
    stored = [reviews.open_stored(i, actor="t", url=url).state for i in ids]
    assert report.reviews == len(ids)
    # Counted independently from the stored states: reviews naming each unrestricted factor.
    expected = Counter(code for s in stored
                       for code in {f.code for f in s.factors if not f.restricted})
    assert {f.code: f.reviews for f in report.factors if f.reviews} == dict(expected)
    gaps = Counter(r for s in stored for r in {e.rule_id for e in s.episodes if e.kind == "gap"})
    assert {g.rule_id: g.reviews for g in report.findings} == dict(gaps)
    learning = sum(len(s.learning) for s in stored)
    assert sum(len(t.items) for t in report.themes) == learning


def test_final_only_and_the_pdu_filter_narrow_the_reviews(stored_reviews):
    url, ids, people = stored_reviews
    statuses = [reviews.open_stored(i, actor="t", url=url).status for i in ids]
    assert themes.across_reviews(url=url, final_only=True).reviews == statuses.count("final")
    reviewed = people.set_index("crn").loc[
        [reviews.open_stored(i, actor="t", url=url).state.crn for i in ids], "pdu"]
    pdu = reviewed.value_counts().index[0]
    assert themes.across_reviews(url=url, pdu=pdu).reviews == int((reviewed == pdu).sum())
    assert themes.across_reviews(url=url, pdu="Nowhere").reviews == 0


def test_the_themes_command_prints_a_table_and_json(stored_reviews, capsys):
    url, ids, _ = stored_reviews
    assert cli.main(["reviews", "themes", "--db", url]) == 0
    out = capsys.readouterr().out
    assert f"Themes across {len(ids)} SFO reviews" in out
    assert "Learning, grouped by the words it shares" in out
    assert cli.main(["reviews", "themes", "--db", url, "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["reviews"] == len(ids) and doc["themes"]
    assert cli.main(["reviews", "themes", "--db", url, "--from", "2030-01-01"]) == 0
    assert "Themes across 0 SFO reviews" in capsys.readouterr().out
