"""The quality check panel: each point, where it is, a way forward and a link to go there.

The check reads the review as the Inspectorate and the family will
(:func:`sfo.domain.quality.check`). Two things block finalising; everything
else is a prompt to weigh. Each point's button opens its section and, for an
episode or a factor, chooses it.
"""

from __future__ import annotations

import re

import streamlit as st

from sfo.domain import quality as qc
from sfo.domain import review as rv
from ui.components import review_fields as fields
from ui.components import review_session as rvs

SECTION = rvs.QUALITY


def target(item: qc.QualityItem, state: rv.ReviewState) -> tuple[str, str, str]:
    """(section, place in it, what to call it) for one point of the check."""
    where = item.where
    head = where.split("/")[0]
    if head == "analysis":
        heading = where.split("/")[1] if "/" in where else ""
        return rvs.ANALYSIS, where, f"Analysis: {rv.HEADINGS.get(heading, heading)}"
    if head == "judgement":
        return rvs.JUDGEMENT, "judgement", "Overall judgement"
    if head == "learning":
        return rvs.LEARNING, "learning", "Learning"
    if head == "family_summary":
        return rvs.FAMILY, "family_summary", "Summary for the family"
    if head == "factors":
        return rvs.FACTORS, "factors", "How the working context was considered"
    if re.fullmatch(r"E\d+", head) and any(e.episode_id == head for e in state.episodes):
        return rvs.EPISODES, head, f"Episode {head}"
    if re.fullmatch(r"F\d+", head) and any(f.factor_id == head for f in state.factors):
        return rvs.FACTORS, head, f"Factor {head}"
    return SECTION, where, where


def _go(section: str, place: str, message: str) -> None:
    if re.fullmatch(r"E\d+", place):
        st.session_state[fields.memory_key("episode")] = place
    elif re.fullmatch(r"F\d+", place):
        st.session_state[fields.memory_key("factor")] = place
    rvs.go(section, place, message)


def panel(state: rv.ReviewState, *, editable: bool) -> None:
    """Every point the check finds, blocks first, each with a link to its section."""
    st.markdown("The quality check reads the review the way the Inspectorate and the family "
                "will. Only two things stop you finalising: no overall judgement, and the "
                "working context not considered. Everything else is a prompt: think about "
                "it, and leave it if you have a reason.")
    items = qc.check(state)
    if not items:
        st.success("The quality check finds nothing to raise.")
        return
    blocks = sum(1 for i in items if i.severity == "block")
    prompts = len(items) - blocks
    head = (f"{blocks} thing{'s' if blocks != 1 else ''} to do before finalising" if blocks
            else "Nothing blocks finalising")
    st.markdown(f"**{head}; {prompts} prompt{'s' if prompts != 1 else ''}.**")
    for n, item in enumerate(items):
        section, place, name = target(item, state)
        with st.container(border=True):
            badge = (":red-badge[Must do before finalising]" if item.severity == "block"
                     else ":orange-badge[Prompt]")
            st.markdown(f"{badge} **{rvs.md(name)}**  \n{rvs.md(item.message)}  \n"
                        f":grey[{rvs.md(item.suggestion)}]")
            if section != SECTION:
                message = f"{item.message} {item.suggestion}"
                st.button(f"Go to {name}", key=f"sfo_rv_q_{n}_{item.code}", on_click=_go,
                          args=(section, place, message), icon=":material/arrow_forward:",
                          help=f"Opens the {section} section")
