"""The Timeline chart: one lane per kind of entry, spells as bars, workload underneath.

Built with Altair (Vega-Lite) from :class:`sfo.services.chronology.TimelineData`
frames, already filtered. Every mark has a tooltip, and colour is never the
only clue: appointment outcomes and findings also differ in shape, and spells
carry their label. One key explains every colour. Nothing here loops over
entries: each layer is one encoded frame.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

import altair as alt
import numpy as np
import pandas as pd

from sfo.services import chronology
from sfo.services.chronology import TimelineData

LANE_HEIGHT = 34          # pixels per lane
WORKLOAD_HEIGHT = 110
WORKLOAD_GAP = 28         # pixels between the last lane and the workload panel
AXIS_WIDTH = 185          # the lane names' column, so the panels line up
LIMIT = 110               # HMPPS workload policy: over 110% for 4 weeks is excessive
NARROW_PLOT = 480         # pixels of plot at a 768-pixel-wide page, for fitting labels
CHAR_WIDTH = 6.2          # pixels per character of an 11-pixel label, roughly
REGISTERED = "Registration: "
INK = "#0B0C0C"
RED = "#D4351C"

# The key: colour and shape of everything drawn. Outcome colours are from the Okabe-Ito
# palette (told apart with colour-blindness), each with its own shape as well.
KEY: dict[str, tuple[str, str]] = {
    "finding: gap in practice": (RED, "diamond"),
    "finding: working context": ("#F47738", "diamond"),
    "finding: good practice": ("#00703C", "diamond"),
    "attended": ("#009E73", "circle"),
    "failed to comply": ("#E69F00", "diamond"),
    "missed (unacceptable)": ("#D55E00", "triangle-down"),
    "missed (acceptable)": ("#56B4E9", "square"),
    "rescheduled": ("#CC79A7", "cross"),
    "no outcome recorded": ("#999999", "triangle-up"),
    "other outcome": ("#0072B2", "triangle-right"),
    chronology.OTHER_RECORD: ("#505A5F", "circle"),
    "order or licence": ("#C9D6E3", "square"),
    "allocated": ("#8FB8DE", "square"),
    "unallocated": (RED, "square"),
    "RoSH low": ("#C8E6C9", "square"),
    "RoSH medium": ("#FFE0A3", "square"),
    "RoSH high": ("#F4A582", "square"),
    "RoSH very high": ("#B2182B", "square"),
    "RoSH not recorded": ("#DDDDDD", "square"),
    "registration": ("#B8A3D1", "square"),
}


def chart(data: TimelineData, lanes: Sequence[str]) -> alt.LayerChart | None:
    """The chart of the lanes asked for (None when nothing is left to draw).

    One layered view rather than a vertical concatenation, so the lanes and the
    workload panel share one time axis, one zoom and the page's width: the
    lanes take the top of the plot and workload the bottom, each with its own
    vertical scale.
    """
    shown = [lane for lane in chronology.LANES if lane in set(lanes)]
    bands = [lane for lane in shown if lane != chronology.WORKLOAD]
    workload = data.workload if chronology.WORKLOAD in shown else data.workload.iloc[:0]
    if not bands and not len(workload):
        return None
    start, end = _domain(data)
    months = max(1, round((end - start).days / 30.4))
    x = alt.X("date:T", scale=alt.Scale(type="utc", domain=[_ms(start), _ms(end)]),
              axis=alt.Axis(format="%b %Y", labelAngle=0, labelOverlap=True, grid=False,
                            title=None, labelFontSize=12, labelColor=INK,
                            tickCount=alt.TickCount(interval="month",
                                                    step=_month_step(months))))
    rows = _rows(data, bands)
    top = LANE_HEIGHT * len(rows)
    height = top + (WORKLOAD_GAP + WORKLOAD_HEIGHT if len(workload) else 0)
    # Each group shares its scales; the groups keep their own vertical scale and colours.
    groups: list[list[alt.Chart]] = []
    if bands:
        groups.append(_lane_layers(data, bands, rows, x, top))
    if len(workload):
        groups.append(_workload_layers(workload, x, (height, height - WORKLOAD_HEIGHT)))
    zoom = alt.selection_interval(bind="scales", encodings=["x"],
                                  zoom="wheel![event.shiftKey]")
    groups[0][0] = groups[0][0].add_params(zoom)
    on = data.known_on
    known = pd.DataFrame({"date": [pd.Timestamp(on)], "text": [f"Known on {on.day} {on:%B %Y}"]})
    rule = alt.Chart(known).mark_rule(color=INK, strokeDash=[4, 3]).encode(
        x=x, tooltip=[alt.Tooltip("text:N", title="Everything after this is hidden")])
    # Light lines at the start of each month, behind everything (a few dozen rows at most).
    step = _month_step(months)
    firsts = pd.date_range(pd.Timestamp(start) - pd.DateOffset(years=1),
                           pd.Timestamp(end) + pd.DateOffset(years=1), freq="MS")
    firsts = firsts[(firsts.year * 12 + firsts.month - 1) % step == 0]
    grid = alt.Chart(pd.DataFrame({"date": firsts})).mark_rule(
        color="#E8E8E8", strokeWidth=1).encode(x=x)
    title = alt.TitleParams(f"Known on {on.day} {on:%B %Y} (the dashed line): anything "
                            "recorded later is hidden", anchor="end", fontSize=12,
                            fontWeight="normal", color=INK)
    # Built in one go: each chained Altair method deep-copies the whole chart.
    return alt.LayerChart(
        layer=[grid, *(alt.LayerChart(layer=group) for group in groups), rule],
        resolve=alt.Resolve(scale=alt.ScaleResolveMap(y="independent", color="independent",
                                                      shape="independent"),
                            axis=alt.AxisResolveMap(y="independent")),
        width="container", height=height, title=title,
        # the width follows the page; the height is the lanes' own plus the key
        autosize=alt.AutoSizeParams(type="fit-x", contains="padding"),
        config=alt.Config(view=alt.ViewConfig(stroke=None)))


def chart_start(data: TimelineData) -> pd.Timestamp:
    """Where the chart's time axis starts: entries before it are in the table only."""
    return pd.Timestamp(_domain(data)[0])


def _month_step(months: int) -> int:
    """Months between axis labels, so that about a dozen fit."""
    return next((s for s in (1, 2, 3, 6, 12, 24, 60) if months / s <= 12), 120)


def _ms(d: date) -> int:
    """A date as milliseconds since 1970 (UTC), how Vega-Lite holds time."""
    return int(pd.Timestamp(d).value // 1_000_000)


def _domain(data: TimelineData) -> tuple[date, date]:
    """From a little before the first entry of the case itself to the known-on date.

    Training and supervision from years before the case would squeeze the
    chart into a sliver; they stay in the table (and dragging the chart shows them).
    """
    case = data.table[~data.table["lane"].isin([chronology.WORKING, chronology.WORKLOAD])]
    found = [d for d in (case["date"].min(),
                         data.spans["start"].min() if len(data.spans) else None)
             if d is not None and not pd.isna(d)]
    first = min(found).date() if found else data.known_on - timedelta(days=90)
    first = min(first, data.known_on - timedelta(days=28))
    margin = timedelta(days=max(3, (data.known_on - first).days // 40))
    return first - margin, data.known_on + margin


def _key_scales(present: set[str]) -> tuple[alt.Scale, alt.Scale]:
    """Colour and shape scales over the key entries present, in the key's order."""
    keys = [k for k in KEY if k in present]
    return (alt.Scale(domain=keys, range=[KEY[k][0] for k in keys]),
            alt.Scale(domain=keys, range=[KEY[k][1] for k in keys]))


def _rows(data: TimelineData, bands: list[str]) -> list[str]:
    """The chart's rows: one per lane, and one per registration type (in order registered)."""
    regs = data.spans[data.spans["lane"] == chronology.REGISTRATIONS].sort_values("start")
    types = [REGISTERED + t for t in dict.fromkeys(regs["track"])]
    if chronology.REGISTRATIONS not in bands or not types:
        return bands
    at = bands.index(chronology.REGISTRATIONS)
    return bands[:at] + types + bands[at + 1:]


def _row_of(frame: pd.DataFrame, code: pd.Series) -> np.ndarray:
    """Each entry's row: its lane, or its registration type's row."""
    lane = frame["lane"].to_numpy(dtype=object)
    return np.where(lane == chronology.REGISTRATIONS, REGISTERED + code.astype(str).to_numpy(
        dtype=object), lane)


def _lane_layers(data: TimelineData, bands: list[str], rows: list[str], x: alt.X,
                 top: int) -> list[alt.Chart]:
    """Spells, entries and findings, one row each, in the top ``top`` pixels."""
    y = alt.Y("row:N", scale=alt.Scale(domain=rows, range=[0, top], paddingInner=0.2),
              axis=alt.Axis(title=None, labelLimit=AXIS_WIDTH - 5, labelFontSize=12,
                            labelPadding=6, ticks=False, domain=False, labelColor=INK,
                            minExtent=AXIS_WIDTH))
    spans = data.spans[data.spans["lane"].isin(bands)].rename(columns={"start": "date"})
    spans = spans.assign(key=spans["kind"], row=_row_of(spans, spans["track"]))
    points = data.points[data.points["lane"].isin(bands)]
    points = points.assign(key=points["group"], row=_row_of(points, points["code"]))
    findings = (data.findings if chronology.FINDINGS in bands else data.findings.iloc[:0])
    findings = findings.assign(key="finding: " + findings["kind_label"].astype(str),
                               row=chronology.FINDINGS)
    present = set(spans["key"]) | set(points["key"]) | set(findings["key"])
    colour_scale, shape_scale = _key_scales(present)
    legend = alt.Legend(title="Key", orient="bottom", columns=3, labelLimit=220,
                        symbolSize=90, symbolStrokeWidth=0, symbolOpacity=1, labelFontSize=12,
                        titleFontSize=12, labelColor=INK, titleColor=INK)
    colour = alt.Color("key:N", scale=colour_scale, legend=legend)
    shape = alt.Shape("key:N", scale=shape_scale, legend=legend)
    layers: list[alt.Chart] = []
    if len(spans):
        layers.extend(_spell_layers(spans, x, y, colour, _domain(data)))
    if len(points):
        layers.append(_point_layer(points, x, y, colour, shape))
    if len(findings):
        layers.append(_finding_layer(findings, x, y, colour, shape))
    return layers


def _spell_layers(spans: pd.DataFrame, x: alt.X, y: alt.Y, colour: alt.Color,
                  domain: tuple[date, date]) -> list[alt.Chart]:
    """Bars for spells, a marked start for unallocated ones, and labels where they fit."""
    tooltip = [alt.Tooltip("lane:N", title="Lane"), alt.Tooltip("label:N", title="What"),
               alt.Tooltip("detail:N", title="Detail"),
               alt.Tooltip("from_text:N", title="From"), alt.Tooltip("to_text:N", title="To"),
               alt.Tooltip("record_id:N", title="Record")]
    out = [alt.Chart(spans).mark_bar(height={"band": 0.7}, cornerRadius=2).encode(
        x=x, x2="end:T", y=y, color=colour, tooltip=tooltip)]
    # An unallocated spell of days is a hairline in a chart of months: a marker and a word
    # above it make it visible whatever its length.
    gap = spans[spans["kind"] == "unallocated"]
    if len(gap):
        out.append(alt.Chart(gap).mark_tick(thickness=3, size=26, color=RED).encode(
            x=x, y=y, tooltip=tooltip))
        out.append(alt.Chart(gap).mark_text(align="left", baseline="bottom", dx=2, dy=-9,
                                            fontSize=11, fontWeight="bold", color=RED).encode(
            x=x, y=y, text="label:N", tooltip=tooltip))
    # A label goes inside its bar when the bar is long enough for it at the narrowest
    # page (768 pixels); else the staff code alone when that fits; else only the tooltip.
    total = max((domain[1] - domain[0]).days, 1)
    room = (spans["end"] - spans["date"]).dt.days.to_numpy() / total * NARROW_PLOT - 10
    full = spans["label"].astype(str)
    short = full.str.split(",").str[0]
    text = np.where(room >= CHAR_WIDTH * full.str.len().to_numpy(), full.to_numpy(dtype=object),
                    np.where(room >= CHAR_WIDTH * short.str.len().to_numpy(),
                             short.to_numpy(dtype=object), ""))
    named = spans.assign(text=text)
    named = named[(named["text"] != "").to_numpy()
                  & (named["kind"] != "unallocated").to_numpy()
                  & (named["lane"] != chronology.REGISTRATIONS).to_numpy()]
    if len(named):
        out.append(alt.Chart(named).mark_text(align="left", baseline="middle", dx=4,
                                              fontSize=11, color=INK).encode(
            x=x, y=y, text="text:N", tooltip=tooltip))
    return out


def _point_layer(points: pd.DataFrame, x: alt.X, y: alt.Y, colour: alt.Color,
                 shape: alt.Shape) -> alt.Chart:
    """One mark per entry; appointments coloured and shaped by outcome."""
    return alt.Chart(points).mark_point(filled=True, size=60, opacity=0.9).encode(
        x=x, y=y, color=colour, shape=shape,
        tooltip=[alt.Tooltip("date_text:N", title="Date"), alt.Tooltip("lane:N", title="Lane"),
                 alt.Tooltip("title:N", title="What"), alt.Tooltip("group:N", title="Outcome"),
                 alt.Tooltip("detail:N", title="Detail"),
                 alt.Tooltip("record_id:N", title="Record"),
                 alt.Tooltip("staff_code:N", title="Staff")],
    )


def _finding_layer(findings: pd.DataFrame, x: alt.X, y: alt.Y, colour: alt.Color,
                   shape: alt.Shape) -> alt.Chart:
    """The rules' findings as large markers in the Findings lane."""
    return alt.Chart(findings).mark_point(filled=True, size=140, opacity=0.95).encode(
        x=x, y=y, color=colour, shape=shape,
        tooltip=[alt.Tooltip("date_text:N", title="Date"),
                 alt.Tooltip("rule_id:N", title="Rule"),
                 alt.Tooltip("kind_label:N", title="Kind"),
                 alt.Tooltip("summary:N", title="Finding"),
                 alt.Tooltip("evidence:N", title="Evidence")])


def _workload_layers(workload: pd.DataFrame, x: alt.X,
                     span: tuple[int, int]) -> list[alt.Chart]:
    """Weekly workload of whoever held the case, with the 110% line, between two heights."""
    frame = workload.rename(columns={"week_start": "date"})
    top = max(130.0, float(frame["capacity_pct"].max()) + 10)
    low = min(60.0, float(frame["capacity_pct"].min()) - 10)
    y = alt.Y("capacity_pct:Q",
              scale=alt.Scale(domain=[low, top], range=list(span), nice=False, zero=False),
              axis=alt.Axis(orient="left", title=["Workload", "(% of capacity)"],
                            titleFontWeight="normal", titleAngle=0, titleAlign="right",
                            titleBaseline="middle", titleX=-44, titleY=(span[0] + span[1]) / 2,
                            titleFontSize=12,
                            titleColor=INK, labelColor=INK, tickCount=4, labelFontSize=12,
                            minExtent=AXIS_WIDTH, grid=False))
    tooltip = [alt.Tooltip("week_text:N", title="Week starting"),
               alt.Tooltip("staff_code:N", title="Practitioner"),
               alt.Tooltip("capacity_pct:Q", title="Capacity (%)", format=".0f"),
               alt.Tooltip("caseload:Q", title="Caseload", format=".0f")]
    line = alt.Chart(frame).mark_line(color="#1D70B8", strokeWidth=1.5).encode(
        x=x, y=y, detail="staff_code:N")
    dots = alt.Chart(frame).mark_point(filled=True, size=36, opacity=1).encode(
        x=x, y=y,
        color=alt.Color("over_limit:N", scale=alt.Scale(domain=[False, True],
                                                        range=["#1D70B8", RED]),
                        legend=None),
        shape=alt.Shape("over_limit:N", scale=alt.Scale(domain=[False, True],
                                                        range=["circle", "triangle-up"]),
                        legend=None),
        tooltip=tooltip)
    limit = pd.DataFrame({"capacity_pct": [LIMIT],
                          "text": ["Over 110% of capacity for 4 weeks is excessive"]})
    rule = alt.Chart(limit).mark_rule(color=RED, strokeDash=[6, 4]).encode(
        y=y, tooltip=[alt.Tooltip("text:N", title="Workload policy")])
    # The words sit at the top of the panel, where the line (10 points lower) never reaches.
    words = pd.DataFrame({"capacity_pct": [top],
                          "text": ["Dashed red line: 110%. Over it for 4 weeks is excessive."]})
    label = alt.Chart(words).mark_text(align="left", baseline="top", dx=4, fontSize=11,
                                       color=RED).encode(x=alt.value(0), y=y, text="text:N")
    return [line, dots, rule, label]
