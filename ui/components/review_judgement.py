"""The overall judgement, learning at four levels, and the summary for the victim's family.

The toolkit never reaches the judgement: the answer is never pre-selected,
and only what the reviewer chose is saved, with who chose it and when.
"""

from __future__ import annotations

import streamlit as st

from sfo.domain import factors as fc
from sfo.domain import quality as qc
from sfo.domain import review as rv
from sfo.errors import ReviewInvalid
from ui.components import review_fields as fields
from ui.components import review_session as rvs

JUDGEMENT = rvs.JUDGEMENT
LEARNING = rvs.LEARNING
FAMILY = rvs.FAMILY
ANSWERS = list(rv.JUDGEMENTS)
LEVELS = list(fc.LEVELS)


# -- judgement ----------------------------------------------------------------------------------

def _judge(answer_key: str, reasons_key: str) -> None:
    answer = st.session_state.get(answer_key)
    reasons = str(st.session_state.get(reasons_key) or "")
    if answer is None:
        rvs.fail("judgement", ReviewInvalid("Choose yes, partly or no, then save the "
                                            "judgement."))
        return
    rvs.apply(lambda s: rv.set_judgement(s, str(answer), reasons=reasons, by=rvs.me()),
              where="judgement", note=f"recorded the overall judgement: {answer}",
              mine=reasons, form=True)


def judgement(state: rv.ReviewState, *, editable: bool) -> None:
    """Were all reasonable steps taken? Yes, partly or no, with the reasons."""
    st.markdown("Were all reasonable steps taken to manage the case, judged on what was known "
                "at the time? This is your judgement: the toolkit does not suggest an answer.")
    rvs.pointer(JUDGEMENT, "judgement")
    j = state.judgement
    if j is not None:
        st.markdown(f"**Your judgement:** {rv.JUDGEMENTS[j.all_reasonable_steps]}.  \n"
                    f"Recorded by {rvs.md(j.by)} at {rvs.moment(j.at)}.")
    elif not editable:
        st.info("No overall judgement has been recorded.")
    if not editable:
        if j is not None:
            fields.read_only("Reasons", j.reasons)
        return
    source = None if j is None else (j.all_reasonable_steps, j.reasons, j.at)
    answer_key, reasons_key = rvs.key("judgement", source), rvs.key("reasons", source)
    with st.form(rvs.key("judgement_form", source), border=False):
        st.radio("Were all reasonable steps taken?", ANSWERS,
                 index=None if j is None else ANSWERS.index(j.all_reasonable_steps),
                 format_func=rv.JUDGEMENTS.__getitem__, key=answer_key)
        st.text_area("Your reasons", value=j.reasons if j else "", key=reasons_key,
                     height=180, help="Say what the judgement rests on: the episodes, the "
                                      "analysis and the working context.")
        st.form_submit_button("Save the judgement", on_click=_judge,
                              args=(answer_key, reasons_key), type="primary")
    rvs.problem("judgement")


# -- learning -----------------------------------------------------------------------------------

def _add(level_key: str, text_key: str) -> None:
    level = st.session_state.get(level_key)
    text = str(st.session_state.get(text_key) or "")
    if level is None:
        rvs.fail("learning", ReviewInvalid("Choose the level the learning is for."))
        return
    rvs.apply(lambda s: rv.add_learning(s, str(level), text), where="learning",
              note=f"added {level} learning", mine=text, form=True)


def _remove(learning_id: str) -> None:
    rvs.apply(lambda s: rv.remove_learning(s, learning_id), where="learning",
              note=f"removed learning {learning_id}")


def learning(state: rv.ReviewState, *, editable: bool) -> None:
    """Learning at individual, team, organisational and system level."""
    st.markdown("What should be learnt, and by whom: the individual, the team, the "
                "organisation or the wider system.")
    rvs.pointer(LEARNING, "learning")
    for level, title in fc.LEVELS.items():
        items = [x for x in state.learning if x.level == level]
        st.markdown(f"#### {title}")
        if not items:
            st.markdown(":grey[Nothing yet.]")
        for x in items:
            if editable:
                left, right = st.columns([5, 1], vertical_alignment="center")
                left.markdown(f"{x.learning_id}: {rvs.md(x.text)}")
                right.button(f"Remove {x.learning_id}", key=rvs.key(f"learn_rm_{x.learning_id}"),
                             on_click=_remove, args=(x.learning_id,))
            else:
                st.markdown(f"{x.learning_id}: {rvs.md(x.text)}")
    if not editable:
        return
    ids = tuple(x.learning_id for x in state.learning)
    level_key, text_key = rvs.key("learn_level", ids), rvs.key("learn_text", ids)
    with st.form(rvs.key("learn_form", ids)):
        st.markdown("**Add learning**")
        st.selectbox("Level", LEVELS, index=None, key=level_key, placeholder="Choose a level",
                     format_func=fc.LEVELS.__getitem__)
        st.text_area("What should be learnt", key=text_key, height=100)
        st.form_submit_button("Add the learning", on_click=_add, args=(level_key, text_key))
    rvs.problem("learning")


# -- the family summary ------------------------------------------------------------------------

def _family_prompts(state: rv.ReviewState) -> None:
    text = state.family_summary
    if not text.strip():
        return
    score = qc.reading_ease(text)
    words = "easy" if score >= 70 else "fairly easy" if score >= qc.READING_EASE_FLOOR \
        else "hard"
    st.markdown(f"**Reading ease:** {score:.0f} ({words} to read; aim for "
                f"{qc.READING_EASE_FLOOR:.0f} or more). **Sentences:** "
                f"{len(qc.sentences(text))}, aim for {qc.SENTENCE_WORDS} words or fewer "
                "each.")
    items = [i for i in qc.check(state) if i.where.startswith("family_summary")]
    if not items:
        st.success("No prompts: abbreviations are spelt out, and the sentences are short.")
    for i in items:
        st.warning(f"{rvs.md(i.message)} {rvs.md(i.suggestion)}")


def family(state: rv.ReviewState, *, editable: bool) -> None:
    """The plain-English summary for the victim's family, with its readability prompts."""
    st.markdown("Written for the victim's family: plain English, short sentences, every "
                "abbreviation spelt out the first time. Do not name staff or use codes. The "
                "family summary document adds the key events in plain words and leaves out "
                "restricted entries, contact notes and other agencies' information.")
    rvs.pointer(FAMILY, "family_summary")
    fields.text("Summary for the family", state.family_summary, name="family_summary",
                change=rv.set_family_summary, note="changed the summary for the family",
                editable=editable, height=260)
    _family_prompts(state)
