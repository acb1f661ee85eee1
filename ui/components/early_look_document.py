"""The Early Look document (preview and Word downloads) and signing off.

The documents are made on request, not on every click (each reads the case
and renders it): they are kept for the version they were made from, and made
again when asked after a change. A final early look's documents are the ones
stored when it was signed off.
"""

from __future__ import annotations

import streamlit as st

from sfo.domain import access
from sfo.domain import early_look as el
from sfo.errors import ConflictError, EarlyLookInvalid, SfoError
from sfo.services import early_look
from ui.components import early_look_session as els
from ui.components import preview, session

DOCS = "sfo_el_docs"   # (early look id, version, {(audience, fmt): (bytes, description)})
WORD = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _make() -> None:
    found = els.opened()
    user = session.user()
    made = {}
    try:
        audiences = ["restricted", "shared"] if access.can_see_restricted(user) else ["shared"]
        made[(audiences[0], "html")] = early_look.export_stored(
            found.id, audience=audiences[0], fmt="html", actor=user)
        for audience in audiences:
            made[(audience, "docx")] = early_look.export_stored(
                found.id, audience=audience, fmt="docx", actor=user)
    except Exception as exc:
        els.fail("document", exc)
        return
    st.session_state[DOCS] = (found.id, found.version, made)


def _finalise() -> None:
    found = els.opened()
    try:
        final = early_look.finalise_stored(found.id, expected_version=found.version,
                                           actor=session.user())
    except ConflictError as exc:
        els.refused(exc)
        return
    except SfoError as exc:
        els.fail("finalise", exc)
        return
    els.done(final, "Signed off: the early look is final")


def document(*, editable: bool) -> None:
    """Preview the document in the page and download it as Word."""
    found = els.opened()
    kept = st.session_state.get(DOCS)
    fresh = kept is not None and kept[0] == found.id and kept[1] == found.version
    if found.status == "draft":
        st.markdown("The document is a draft until you sign off. It shows everything saved "
                    "so far.")
    if not fresh:
        if kept is not None and kept[0] == found.id and found.status == "draft":
            st.info(f"The documents were made from version {kept[1]}. Make them again to "
                    "include the latest changes.")
        st.button("Make the documents" if found.status == "draft" else
                  "Show the final documents", key="sfo_el_make_docs", on_click=_make,
                  type="primary")
        els.problem("document")
        return
    assert kept is not None
    made = kept[2]
    cols = st.columns(len([k for k in made if k[1] == "docx"]))
    labels = {"restricted": ("Download the restricted copy (Word)",
                             "For the manager, the reviewer and HR: includes personal "
                             "circumstances."),
              "shared": ("Download the shared copy (Word)",
                         "For anyone else: restricted entries are left out.")}
    stem = f"early-look-{found.state.crn}-{found.id}-" + (
        "final" if found.status == "final" else f"draft-v{found.version}")
    for col, audience in zip(cols, [a for a, f in made if f == "docx"], strict=True):
        data, what = made[(audience, "docx")]
        label, helptext = labels[audience]
        col.download_button(label, data, file_name=f"{stem}-{audience}.docx", mime=WORD,
                            key=f"sfo_el_dl_{audience}", help=helptext, on_click="ignore")
        col.caption(what[:1].upper() + what[1:] + ".")
    html_key = next(k for k in made if k[1] == "html")
    html, what = made[html_key]
    st.caption(f"Preview: {what}.")
    # The service's own HTML, shown in a sandboxed frame apart from the page.
    preview.document(html, height=720, alt="Preview of the Early Look document")


def sign_off(state: el.EarlyLookState, *, editable: bool) -> None:
    """What is still to do, and the sign-off button (a final early look shows its fingerprint)."""
    found = els.opened()
    if found.status == "final":
        signed = state.signed_off
        who = f" by {els.md(signed.by)} at {els.moment(signed.at)}" if signed else ""
        st.success(f"Signed off{who}. This early look is final and cannot be changed. "
                   f"Fingerprint: {found.fingerprint}")
        return
    kept = st.session_state.get(els.FLASH)
    refusal = (kept[1] if kept and kept[0] == "finalise" and isinstance(kept[1], EarlyLookInvalid)
               else None)
    left = el.completion_problems(state)
    if refusal is None and left:
        st.markdown(f"**Still to do before you can sign off ({len(left)}):**")
        st.markdown("\n".join(f"- {els.md(p)}" for p in left))
    elif not left:
        st.markdown("Everything needed is recorded. You can sign off.")
    if not editable:
        return
    st.markdown("Signing off makes the early look final: it cannot be changed afterwards. "
                "The final documents are kept, with a fingerprint that shows they have not "
                "changed.")
    st.button("Sign off and finalise", key="sfo_el_finalise", on_click=_finalise,
              type="primary")
    if refusal is not None:
        n = len(refusal.problems)
        st.error(f"The early look was not signed off: {n} thing{'s' if n != 1 else ''} still "
                 "to do. Do each of them, then sign off again.")
        st.markdown("\n".join(f"- {els.md(p)}" for p in refusal.problems))
    else:
        els.problem("finalise")

