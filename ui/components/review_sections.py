"""Background and risk profile, the key practice episodes, and the analysis under six headings.

Each text is saved as soon as the reviewer leaves its box. Practice is judged
on what was known at the time: each episode keeps what was recorded by its
decision point beside the reviewer's account.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from sfo.domain import review as rv
from sfo.errors import ReviewInvalid
from ui.components import review_fields as fields
from ui.components import review_session as rvs

EPISODES = rvs.EPISODES
ANALYSIS = rvs.ANALYSIS
KINDS = list(rv.EPISODE_KINDS)
_KIND_BADGE = {"gap": ":red-badge[Gap in practice]",
               "good_practice": ":green-badge[Good practice]",
               "neutral": ":grey-badge[Described, not judged]"}


# -- background ---------------------------------------------------------------------------------

def background(state: rv.ReviewState, *, editable: bool) -> None:
    """The case background and the risk profile as it was understood at the time."""
    if editable:
        st.markdown("In your own words. Describe the risk as it was understood then, not as "
                    "it looks now. Each box is saved when you leave it.")
    fields.text("Case background", state.background, name="background",
                change=lambda s, t: rv.set_background(s, background=t),
                note="changed the case background", editable=editable, height=200)
    fields.text("Risk profile at the time", state.risk_profile, name="risk_profile",
                change=lambda s, t: rv.set_background(s, risk_profile=t),
                note="changed the risk profile at the time", editable=editable, height=120,
                help="Started from the record as it stood on the date the review looks up "
                     "to: change it to say how the risk was understood then.")


# -- key episodes -------------------------------------------------------------------------------

def _title(e: rv.Episode) -> str:
    when = f", {rvs.day(e.decision_date)}" if e.decision_date else ""
    rule = f" ({e.rule_id})" if e.rule_id else ""
    return f"{e.episode_id}: {rv.EPISODE_KINDS[e.kind]}{rule}{when}"


def _overview(state: rv.ReviewState) -> None:
    table = pd.DataFrame({
        "Episode": [e.episode_id for e in state.episodes],
        "Kind": [rv.EPISODE_KINDS[e.kind] for e in state.episodes],
        "Decision date": [rvs.day(e.decision_date) if e.decision_date else ""
                          for e in state.episodes],
        "Rule": [e.rule_id or "" for e in state.episodes],
        "What happened": [e.what_happened for e in state.episodes],
    })
    st.dataframe(table, hide_index=True, width="stretch",
                 column_config={"What happened": st.column_config.TextColumn(width="large")})


def _field(e: rv.Episode, field: str, label: str, value: str, *, editable: bool,
           height: int, help: str | None = None, many: bool = False) -> None:
    eid = e.episode_id

    def change(s: rv.ReviewState, typed: str) -> rv.ReviewState:
        return rv.update_episode(s, eid, **{field: fields.lines(typed) if many else typed})

    fields.text(label, value, name=f"ep_{field}_{eid}", change=change, editable=editable,
                note=f"changed {label.split(' (')[0].lower()} of episode {eid}", height=height,
                help=help)


def _save_kind(episode_id: str, widget_key: str) -> None:
    kind = str(st.session_state.get(widget_key))
    rvs.apply(lambda s: rv.update_episode(s, episode_id, kind=kind), where=episode_id,
              note=f"changed the kind of episode {episode_id}")


def _save_date(episode_id: str, widget_key: str) -> None:
    chosen = st.session_state.get(widget_key)
    value = chosen if isinstance(chosen, date) else None
    rvs.apply(lambda s: rv.update_episode(s, episode_id, decision_date=value),
              where=episode_id, note=f"changed the decision date of episode {episode_id}")


def _remove(episode_id: str) -> None:
    rvs.apply(lambda s: rv.remove_episode(s, episode_id), where="episodes",
              note=f"removed episode {episode_id}")


def _episode(e: rv.Episode, *, editable: bool) -> None:
    with st.container(border=True):
        st.markdown(f"#### {rvs.md(_title(e))}")
        st.markdown(_KIND_BADGE[e.kind])
        rvs.pointer(EPISODES, e.episode_id)
        if editable:
            left, right = st.columns(2)
            kind_key = rvs.controlled(rvs.key(f"ep_kind_{e.episode_id}"), e.kind)
            left.selectbox(f"Kind of episode {e.episode_id}", KINDS, key=kind_key,
                           format_func=rv.EPISODE_KINDS.__getitem__, on_change=_save_kind,
                           args=(e.episode_id, kind_key))
            date_key = rvs.controlled(rvs.key(f"ep_date_{e.episode_id}"), e.decision_date)
            right.date_input(f"Decision date of episode {e.episode_id}", key=date_key,
                             format="DD/MM/YYYY", on_change=_save_date,
                             args=(e.episode_id, date_key), min_value=date(1990, 1, 1),
                             max_value=date(2100, 1, 1))
            rvs.problem(e.episode_id)
        eid = e.episode_id
        _field(e, "expected", "What was expected", e.expected, editable=editable, height=90,
               help="From the practice standard: change it if your region's standard differs.")
        _field(e, "what_happened", "What happened", e.what_happened, editable=editable,
               height=110)
        _field(e, "known_then", "What was known then (one item a line)",
               "\n".join(e.known_then), editable=editable, height=110, many=True,
               help="The information recorded on or before the decision point.")
        _field(e, "why_it_made_sense", "Why it made sense at the time", e.why_it_made_sense,
               editable=editable, height=110,
               help="Your account of why the practitioner acted as they did, given what they "
                    "knew and the conditions they worked in.")
        _field(e, "good_practice", "Good practice", e.good_practice, editable=editable,
               height=90)
        _field(e, "knew", "What your account says the practitioner knew (one item a line)",
               "\n".join(e.knew), editable=editable, height=80, many=True,
               help="The quality check compares each item with what was known then, to "
                    "catch hindsight.")
        if e.evidence:
            st.markdown("**Evidence**")
            st.markdown("\n".join(
                f"- {rvs.md(n.text)} ({n.grade}"
                + (f"; records {', '.join(n.records)}" if n.records else "")
                + (f"; {rvs.day(n.dated)}" if n.dated else "") + ")" for n in e.evidence))
        if editable:
            with st.popover(f"Remove episode {eid}"):
                st.markdown(f"Remove {eid} from the review? This is saved at once.")
                st.button(f"Yes, remove {eid}", key=rvs.key(f"ep_rm_{eid}"), on_click=_remove,
                          args=(eid,))


def _add(kind_key: str, date_key: str, expected_key: str, happened_key: str) -> None:
    kind = st.session_state.get(kind_key)
    if kind is None:
        rvs.fail("episodes_add", ReviewInvalid("Choose the kind of episode."))
        return
    when = st.session_state.get(date_key)
    happened = str(st.session_state.get(happened_key) or "")

    def change(s: rv.ReviewState) -> rv.ReviewState:
        return rv.add_episode(s, kind=str(kind), what_happened=happened,
                              expected=str(st.session_state.get(expected_key) or ""),
                              decision_date=when if isinstance(when, date) else None)

    if rvs.apply(change, where="episodes_add", note="added an episode", mine=happened, form=True):
        st.session_state[fields.memory_key("episode")] = rvs.opened().state.episodes[-1] \
            .episode_id


def _add_form(state: rv.ReviewState) -> None:
    with st.expander("Add an episode the findings did not suggest"):
        ids = tuple(e.episode_id for e in state.episodes)
        kind_key, date_key = rvs.key("ep_new_kind", ids), rvs.key("ep_new_date", ids)
        expected_key = rvs.key("ep_new_expected", ids)
        happened_key = rvs.key("ep_new_happened", ids)
        with st.form(rvs.key("ep_new", ids), border=False):
            left, right = st.columns(2)
            left.selectbox("Kind of episode", KINDS, index=None, key=kind_key,
                           format_func=rv.EPISODE_KINDS.__getitem__,
                           placeholder="Choose a kind")
            right.date_input("Decision date", value=None, key=date_key, format="DD/MM/YYYY")
            st.text_area("What was expected", key=expected_key, height=80)
            st.text_area("What happened", key=happened_key, height=100)
            st.form_submit_button("Add the episode", on_click=_add,
                                  args=(kind_key, date_key, expected_key, happened_key),
                                  key=rvs.key("ep_new_save", ids))
    rvs.problem("episodes_add")


def episodes(state: rv.ReviewState, *, editable: bool) -> None:
    """The key practice episodes: an overview, then one episode to read or change."""
    st.markdown("The toolkit suggested one episode for each gap and each piece of good "
                "practice the rules found. Practice is judged on what was known at the time: "
                "each episode keeps what was recorded by its decision point. Change, add or "
                "remove episodes; each box is saved when you leave it.")
    if not state.episodes:
        st.info("There are no episodes." + (" Add one below." if editable else ""))
    else:
        _overview(state)
        ids = [e.episode_id for e in state.episodes]
        titles = {e.episode_id: _title(e) for e in state.episodes}
        chosen = fields.chooser("Episode to " + ("work on" if editable else "read"), ids,
                                name="episode", format_func=titles.__getitem__)
        if chosen is not None:
            _episode(state.episode(chosen), editable=editable)
    rvs.problem("episodes")
    if editable:
        _add_form(state)


# -- analysis -----------------------------------------------------------------------------------

def _writer(heading: str) -> fields.TextChange:
    def change(s: rv.ReviewState, text: str) -> rv.ReviewState:
        return rv.set_analysis(s, heading, text)

    return change


def analysis(state: rv.ReviewState, *, editable: bool) -> None:
    """The six headings, each judged on what was known at the time."""
    if editable:
        st.markdown("Write what the practice under each heading was, judged on what was known "
                    "at the time. If a heading did not apply, say so. Each box is saved when "
                    "you leave it.")
    for heading, title in rv.HEADINGS.items():
        rvs.pointer(ANALYSIS, f"analysis/{heading}")
        fields.text(title, state.analysis_of(heading), name=f"analysis_{heading}",
                    change=_writer(heading),
                    note=f"wrote the analysis under {title}", editable=editable, height=150)
