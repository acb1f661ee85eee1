"""The Timeline page: the chart, the known-on date, filters, the table and its downloads."""

from __future__ import annotations

import json
from datetime import date

import pandas as pd
import pyarrow as pa
import pytest

from sfo.services import chronology
from sfo.store import audit
from sfo.store import engine as store_engine
from tests.ui.conftest import DA_CRN, actor

OVERLOADED = "T239417"      # repeated_absences_overloaded: 48 entries up to 11 April 2024
UNALLOCATED = "H905162"     # unallocated_spell_bank_holidays
PAGE = "app_pages/timeline.py"


def timeline(app, crn: str | None, role: str = "manager"):
    at = app(role, crn=crn)
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    return at


def charts(at) -> list[dict]:
    return [json.loads(c.proto.spec) for c in at.get("vega_lite_chart")]


def datasets(at) -> list[pd.DataFrame]:
    """The tables the chart draws, as the app sent them (Arrow)."""
    (chart,) = at.get("vega_lite_chart")
    return [pa.ipc.open_stream(d.data.data).read_all().to_pandas()
            for d in chart.proto.datasets]


def said(at) -> str:
    return next(m.value for m in at.markdown if str(m.value).startswith("Showing"))


def widget(elements, label: str):
    return next(e for e in elements if e.label == label)


def test_a_case_timeline_is_drawn_as_a_chart_with_lanes_findings_and_workload(app):
    at = timeline(app, OVERLOADED)
    assert at.title[0].value == "Timeline"
    (spec,) = charts(at)
    text = json.dumps(spec)
    for lane in ("Findings", "Appointments", "Allocation", "Assessments and RoSH"):
        assert lane in text
    assert "Workload" in text and "missed (unacceptable)" in text   # outcomes in the key
    frames = datasets(at)
    assert any("110%" in " ".join(map(str, f.get("text", []))) for f in frames)
    points = next(f for f in frames if "group" in f)
    assert len(points) == 48 - 1 - 13     # less the allocation (a spell) and 13 workload weeks
    weeks = next(f for f in frames if "capacity_pct" in f and "week_text" in f)
    assert len(weeks) == 13 and weeks["over_limit"].sum() == 10
    assert said(at) == ("Showing the 48 entries recorded up to 11 April 2024. Nothing "
                        "recorded after it is hidden.")
    assert "Risk of serious harm (RoSH)" in at.markdown[0].value


def test_an_unallocated_spell_is_labelled_on_the_chart(app):
    frames = datasets(timeline(app, UNALLOCATED))
    spells = [f for f in frames if "kind" in f and "label" in f]
    assert any((f["kind"] == "unallocated").any() for f in spells)
    assert any((f["label"] == "Unallocated").any() for f in spells)


def test_each_registration_type_has_a_row_of_its_own(app):
    (spec,) = charts(timeline(app, DA_CRN))
    text = json.dumps(spec)
    assert '"Registration: ADVP"' in text and '"Registration: RCCO"' in text


def test_an_earlier_known_on_date_hides_what_was_recorded_later(app):
    at = timeline(app, OVERLOADED)
    picker = widget(at.date_input, "Known on")
    assert picker.value == date(2024, 4, 11)
    picker.set_value(date(2024, 2, 20)).run()
    assert not at.exception
    assert said(at) == ("Showing the 28 entries recorded up to 20 February 2024. 20 entries "
                        "recorded after 20 February 2024 are hidden.")
    (spec,) = charts(at)
    assert "Known on 20 February 2024" in json.dumps(spec)


def test_the_earliest_known_on_date_offered_is_the_first_entry(app):
    at = timeline(app, OVERLOADED)
    picker = widget(at.date_input, "Known on")
    assert picker.min == date(2021, 9, 15)            # training the practitioner completed
    picker.set_value(picker.min).run()
    assert not at.exception and not at.error
    assert said(at) == ("Showing the 1 entry recorded up to 15 September 2021. 47 entries "
                        "recorded after 15 September 2021 are hidden.")


def test_the_table_view_lists_every_entry_shown(app):
    at = timeline(app, OVERLOADED)
    widget(at.radio, "Show").set_value("Table").run()
    assert not at.exception
    assert not charts(at)
    (table,) = [d for d in at.dataframe if "What was recorded" in d.value.columns]
    assert len(table.value) == 48
    assert list(table.value.columns) == [chronology.TABLE_HEADINGS[c]
                                         for c in chronology.TABLE_COLUMNS]


def test_the_lane_filter_keeps_only_the_lanes_chosen(app):
    at = timeline(app, OVERLOADED)
    widget(at.radio, "Show").set_value("Chart and table").run()
    widget(at.multiselect, "Lanes to show").set_value(["Appointments"]).run()
    assert not at.exception
    assert said(at).startswith("Showing 13 of the 48 entries recorded up to 11 April 2024")
    (table,) = [d for d in at.dataframe if "What was recorded" in d.value.columns]
    assert set(table.value["Lane"]) == {"Appointments"}
    (spec,) = charts(at)
    assert "Enforcement and recall" not in json.dumps(spec)


def test_the_kind_filter_keeps_only_the_kinds_chosen(app):
    at = timeline(app, OVERLOADED)
    widget(at.radio, "Show").set_value("Table").run()
    widget(at.multiselect, "Kinds of entry to show").set_value(["police"]).run()
    assert not at.exception
    (table,) = [d for d in at.dataframe if "What was recorded" in d.value.columns]
    assert set(table.value["Kind of entry"]) == {"police"}
    assert said(at).startswith(f"Showing {len(table.value)} of the 48 entries")


def test_the_entries_can_be_downloaded_as_csv_and_xlsx(app):
    at = timeline(app, DA_CRN)
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels == ["Download as CSV", "Download as XLSX"]


def test_a_download_is_written_to_the_audit_log(ui_env):
    from sfo.services import cases

    records = cases.open_case(OVERLOADED, actor=actor("reviewer"), url=ui_env)
    data = chronology.lanes(records, OVERLOADED)
    body = chronology.export(data.table, "csv", crn=OVERLOADED, known_on=data.known_on,
                             actor=actor("reviewer"), url=ui_env)
    assert body.decode("utf-8-sig").startswith("Date,Time,Lane")
    engine = store_engine.make_engine(ui_env)
    try:
        with engine.connect() as conn:
            last = [e for e in audit.all_entries(conn) if e.crn == OVERLOADED][-1]
    finally:
        engine.dispose()
    assert (last.action, last.object_type, last.actor) == ("export", "timeline", "Test reviewer")
    assert "48 timeline entries" in last.summary and "CSV" in last.summary


def test_without_a_chosen_case_the_page_asks_for_one(app):
    at = timeline(app, None)
    assert "Choose a case first" in at.info[0].value
    assert not charts(at)


@pytest.mark.parametrize("role", ["reviewer", "hr", "quality"])
def test_every_role_that_may_look_at_cases_gets_the_timeline(app, role):
    at = timeline(app, DA_CRN, role)
    assert at.title[0].value == "Timeline"
    assert len(charts(at)) == 1


def test_a_role_that_may_not_look_at_cases_never_gets_the_page(app):
    from ui import navigation

    titles = {p.title for s in navigation.menu_for(actor("admin")).values() for p in s}
    assert "Timeline" not in titles
    at = app("admin", crn=DA_CRN)
    assert at.title[0].value == "Cases"
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page(PAGE)


def test_a_record_opened_from_the_early_look_is_shown_on_its_own(app):
    from tests.ui.conftest import DA_CRN

    at = app("manager", crn=DA_CRN)
    at.session_state["sfo_tl_focus"] = "2503009302"     # the first appointment of the case
    at.switch_page("app_pages/timeline.py").run()
    assert not at.exception
    assert any("Record 2503009302" in m.value for m in at.markdown)
    focused = next(d for d in at.dataframe if len(d.value) == 1)
    assert focused.value.iloc[0].astype(str).str.contains("2503009302").any()
    next(b for b in at.button if b.label == "Done with this record").click()
    at.run()
    assert "sfo_tl_focus" not in at.session_state
