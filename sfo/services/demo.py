"""The demonstration database: made-up cases, accounts for each role, a few reviews.

`sfo ui --demo` (and `make demo`) call :func:`prepare`: it creates or
upgrades the database, imports a generated region of made-up people and the
six hand-built scenario cases, gives each demo account a fresh random password
to print, and writes a few made-up SFO reviews so that the themes have
something to show. Running it again changes nothing but the passwords. Never
point it at a database holding real cases.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sfo import bootstrap
from sfo.errors import InputError
from sfo.services import accounts, database, records
from sfo.store import engine as store_engine

DEMO_PEOPLE = 60
DEMO_SEED = 42
DEMO_REVIEWS = 8


@dataclass(frozen=True)
class DemoReady:
    """What the demo setup made: where, who can sign in, and the scenario cases."""

    database: str
    accounts: tuple[accounts.DemoAccount, ...]
    scenario_crns: tuple[str, ...]
    people: int


def _scenarios() -> list[Path]:
    import fixtures

    folder = Path(fixtures.__file__).resolve().parent / "scenarios"
    return sorted(p for p in folder.iterdir() if (p / "people.csv").exists())


def _crn(bundle: Path) -> str:
    text = (bundle / "people.csv").read_bytes().decode("cp1252").lstrip("\ufeff\xef\xbb\xbf")
    return text.splitlines()[1].split(",")[0].strip('"')


def prepare(data_dir: Path, *, url: str | None = None, people: int = DEMO_PEOPLE,
            seed: int = DEMO_SEED, reviews: int = DEMO_REVIEWS) -> DemoReady:
    """Make the demo database ready (see the module docstring)."""
    from fixtures.generate import generate_bundle
    from fixtures.reviews import write_reviews

    target = url or bootstrap.database_url()
    engine = bootstrap.engine(target)
    try:
        database.upgrade(engine=engine, uow=bootstrap.unit_of_work(engine), actor="demo setup")
    finally:
        engine.dispose()
    region = data_dir / "demo"
    if not (region / "people.csv").exists():
        generate_bundle(region, people=people, seed=seed)
    records.import_bundle(region, url=target, actor="demo setup")
    crns = []
    for bundle in _scenarios():
        mapping = bundle / "mapping.toml"
        records.import_bundle(bundle, mapping=mapping if mapping.exists() else None,
                              url=target, actor="demo setup")
        crns.append(_crn(bundle))
    made = accounts.seed_demo_accounts(url=target)
    with bootstrap.engine_for(target) as engine, bootstrap.unit_of_work(engine) as uow:
        stored_reviews = len(uow.reviews.list_all())
    if stored_reviews == 0 and reviews:
        import pandas as pd

        generated = pd.read_csv(region / "people.csv", usecols=["crn"])["crn"].tolist()
        write_reviews(generated[:reviews], url=target, actor="demo.reviewer")
    if not crns:
        raise InputError("The scenario cases are missing from fixtures/scenarios: reinstall "
                         "the project from a fresh clone.")
    return DemoReady(store_engine.describe(target), tuple(made), tuple(crns), people)
