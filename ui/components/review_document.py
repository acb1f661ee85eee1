"""The review's documents (preview, Word and PDF), finalising, reopening and the versions.

The preview is made from the version shown and kept until it changes. Word
and PDF files are made when their button is pressed (a PDF takes a second or
two), each through the service, which writes every copy taken to the audit
log. A final version's documents are the ones stored when it was finalised,
byte for byte. Someone who may not see restricted entries is offered only
the shared copy and the family summary.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st

from sfo.domain import review as rv
from sfo.domain.access import Actor
from sfo.errors import ConflictError, ReviewInvalid, SfoError
from sfo.services import reviews
from ui.components import preview, session
from ui.components import review_session as rvs

PREVIEW = "sfo_rv_preview"   # (review id, lock version, audience, html, what it is)
WORD = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
MIME = {"docx": WORD, "pdf": "application/pdf"}
FORMAT_WORDS = {"docx": "Word", "pdf": "PDF"}
COPIES = {
    "restricted": ("The review: restricted copy", "For the manager, the reviewer and HR. It "
                   "includes restricted entries (personal circumstances)."),
    "shared": ("The review: shared copy", "For the Inspectorate and senior leaders. "
               "Restricted entries are left out; it says how many."),
    "family": ("The family summary", "For the victim's family: plain English, no staff names "
               "or codes, nothing restricted."),
}


def audiences() -> list[str]:
    """The copies the signed-in person may take."""
    return (["restricted", "shared", "family"] if rvs.restricted_allowed()
            else ["shared", "family"])


def _file_name(found: reviews.Opened, audience: str, fmt: str, version: int | None = None
               ) -> str:
    number = version or found.state.version
    issued = "final" if (version is not None or found.status == "final") else "draft"
    stem = (f"family-summary-{found.state.crn}" if audience == "family"
            else f"sfo-review-{found.state.crn}")
    tail = "" if audience == "family" else f"-{audience}"
    return f"{stem}-v{number}-{issued}{tail}.{fmt}"


def _maker(review_id: int, audience: str, fmt: str, actor: Actor,
           version: int | None = None) -> Callable[[], bytes]:
    """The file, made when its button is pressed (in the background, not on every click)."""
    def make() -> bytes:
        return reviews.export_stored(review_id, audience=audience, fmt=fmt, actor=actor,
                                     version=version).data

    return make


# -- preview and downloads ----------------------------------------------------------------------

def _preview(found: reviews.Opened) -> None:
    options = audiences()
    labels = {a: COPIES[a][0] for a in options}
    chosen = st.radio("Copy to preview", options, format_func=labels.__getitem__,
                      horizontal=True, key="sfo_rv_preview_choice")
    kept = st.session_state.get(PREVIEW)
    if not (kept and kept[:3] == (found.id, found.version, chosen)):
        try:
            made = reviews.export_stored(found.id, audience=chosen, fmt="html",
                                         actor=session.user())
        except SfoError as exc:
            rvs.fail("preview", exc)
            rvs.problem("preview")
            return
        kept = (found.id, found.version, chosen, made.data.decode("utf-8"), made.label)
        st.session_state[PREVIEW] = kept
    st.caption(f"Preview of {kept[4]}.")
    # The service's own HTML, shown in a sandboxed frame apart from the page.
    preview.document(kept[3], height=480, alt="Preview of the SFO review")


def _downloads(found: reviews.Opened) -> None:
    user = session.user()
    formats = ["docx", "pdf"] if reviews.pdf_available() else ["docx"]
    status = "final" if found.status == "final" else "draft, marked DRAFT on every page"
    st.markdown(f"Version {found.state.version} ({status}). Each file is made when you press "
                "its button; a PDF takes a few seconds.")
    for audience in audiences():
        title, who = COPIES[audience]
        with st.container(border=True):
            st.markdown(f"**{title}**  \n:grey[{who}]")
            cols = st.columns(len(formats))
            for col, fmt in zip(cols, formats, strict=True):
                col.download_button(
                    f"Download {title[0].lower()}{title[1:]} ({FORMAT_WORDS[fmt]})",
                    _maker(found.id, audience, fmt, user),
                    file_name=_file_name(found, audience, fmt), mime=MIME[fmt],
                    key=f"sfo_rv_dl_{audience}_{fmt}", on_click="ignore", width="stretch")
    if not reviews.pdf_available():
        st.caption("PDF copies need LibreOffice, which is not installed on this server: "
                   "ask an administrator.")


# -- finalising and reopening -------------------------------------------------------------------

def _finalise() -> None:
    found = rvs.opened()
    try:
        final = reviews.finalise_stored(found.id, expected_version=found.version,
                                        actor=session.user())
    except ConflictError as exc:
        rvs.refused(exc)
        return
    except SfoError as exc:
        rvs.fail("finalise", exc)
        return
    rvs.done(final, f"Version {final.state.version} finalised")


def _reopen(note_key: str) -> None:
    found = rvs.opened()
    note = str(st.session_state.get(note_key) or "")
    try:
        again = reviews.reopen_stored(found.id, note=note, actor=session.user())
    except ConflictError as exc:
        rvs.refused(exc, note)
        return
    except SfoError as exc:
        rvs.fail("reopen", exc)
        return
    rvs.done(again, f"Reopened as version {again.state.version}")


def finalise(found: reviews.Opened, *, editable: bool) -> None:
    """What blocks finalising, and the button; a final version shows its fingerprint."""
    state = found.state
    if found.status == "final":
        signed = state.finalised
        who = f" by {rvs.md(signed.by)} at {rvs.moment(signed.at)}" if signed else ""
        st.success(f"Version {state.version} was finalised{who}. It cannot be changed.  \n"
                   f"Fingerprint: {found.fingerprint}")
        st.caption("The fingerprint is a code worked out from the document's content and "
                   "printed in its footer. If a copy shows the same fingerprint, it has not "
                   "been changed since it was finalised.")
        return
    kept = st.session_state.get(rvs.FLASH)
    refusal = (kept[1] if kept and kept[0] == "finalise" and isinstance(kept[1], ReviewInvalid)
               else None)
    left = rv.completion_problems(state)
    if refusal is None and left:
        st.markdown(f"**Still to do before you can finalise ({len(left)}):**")
        st.markdown("\n".join(f"- {rvs.md(p)}" for p in left))
    elif not left:
        st.markdown("Nothing blocks finalising. Look at the prompts of the quality check "
                    "first.")
    if not editable:
        return
    st.markdown("Finalising makes this version final: it cannot be changed afterwards. The "
                "restricted and shared review and the family summary are kept exactly as "
                "issued, with a fingerprint that shows they have not changed.")
    st.button(f"Finalise version {state.version}", key="sfo_rv_finalise", on_click=_finalise,
              type="primary")
    if refusal is not None:
        n = len(refusal.problems)
        st.error(f"The review was not finalised: {n} thing{'s' if n != 1 else ''} still to "
                 "do. Do each of them, then finalise again.")
        st.markdown("\n".join(f"- {rvs.md(p)}" for p in refusal.problems))
    else:
        rvs.problem("finalise")


def reopen(found: reviews.Opened, *, editable: bool) -> None:
    """Reopen a final version as the next one, with a note saying what will change and why."""
    if found.status != "final" or not editable:
        return
    state = found.state
    st.markdown(f"To change the review, reopen it as version {state.version + 1}. Version "
                f"{state.version}'s documents stay as issued.")
    note_key = rvs.key("reopen_note", found.version)
    with st.form(rvs.key("reopen_form", found.version), border=False):
        st.text_area("What will change, and why", key=note_key, height=100)
        st.form_submit_button(f"Reopen as version {state.version + 1}", on_click=_reopen,
                              args=(note_key,))
    rvs.problem("reopen")


def editable_final() -> bool:
    """Whether the signed-in person could reopen the open review (a reviewer, a final one)."""
    from sfo.domain import access

    found = rvs.current()
    return (found is not None and found.status == "final"
            and access.can(session.user(), "review.edit"))


# -- versions -----------------------------------------------------------------------------------

def grouped(fingerprint: str) -> str:
    """A fingerprint in groups of 8 characters, so it wraps and is easier to compare."""
    return " ".join(fingerprint[i:i + 8] for i in range(0, len(fingerprint), 8))


def history(found: reviews.Opened) -> None:
    """Every version: why it was started, and the fingerprint of each finalised one."""
    state = found.state
    finals = {v["version"]: v for v in reviews.final_versions(found.id, actor=session.user())}
    notes = {c.version: c for c in state.change_notes}
    rows = []
    for v in range(1, state.version + 1):
        final = finals.get(v)
        note = notes.get(v)
        current_draft = v == state.version and found.status != "final"
        rows.append({
            "Version": v,
            "Status": "Draft, being written" if current_draft else (
                "Final" if final else "Final (documents not found)"),
            "Why it was started": (f"{note.note} ({note.by}, {rvs.moment(note.at)})" if note
                                   else "The first version"),
            "Finalised": f"{final['by']}, {rvs.moment(final['at'])}" if final else "",
            "Fingerprint": grouped(final["fingerprint"]) if final else "",
        })
    # A static table, so long notes and fingerprints wrap rather than being cut off.
    st.table(pd.DataFrame(rows), hide_index=True)
    if finals:
        st.caption("Fingerprints are shown in groups of 8 characters here, to make them "
                   "easier to compare; the documents print them without spaces.")
    earlier = [v for v in sorted(finals) if v < state.version]
    if not earlier:
        return
    with st.expander("Documents of an earlier version, as issued"):
        version = st.selectbox("Version", earlier, index=len(earlier) - 1,
                               key="sfo_rv_earlier_version")
        user = session.user()
        cols = st.columns(len(audiences()))
        for col, audience in zip(cols, audiences(), strict=True):
            title = COPIES[audience][0]
            col.download_button(
                f"Version {version}: {title[0].lower()}{title[1:]} (Word)",
                _maker(found.id, audience, "docx", user, version),
                file_name=_file_name(found, audience, "docx", version), mime=WORD,
                key=f"sfo_rv_earlier_{audience}", on_click="ignore", width="stretch")


def document(found: reviews.Opened, *, editable: bool) -> None:
    """The whole Document section: preview, downloads, finalise or reopen, and the versions."""
    st.markdown("#### Preview")
    _preview(found)
    st.markdown("#### Download")
    _downloads(found)
    if editable or found.status == "final":
        st.markdown("#### " + ("Final" if found.status == "final" else "Finalise"))
        finalise(found, editable=editable)
        reopen(found, editable=editable_final())
    st.markdown("#### Versions")
    history(found)
