"""Which pages each role sees, built fresh on every run from who is signed in."""

from __future__ import annotations

from typing import NamedTuple

import streamlit as st
from streamlit.navigation.page import StreamlitPage

from sfo.domain import access
from sfo.domain.access import Actor
from ui.components import session

HERE = "app_pages"


class PageSpec(NamedTuple):
    """One page of the menu: its file under app_pages/, title and icon."""

    file: str
    title: str
    icon: str


# section -> pages, each with the action a role must be allowed to see it.
MENU: dict[str, list[tuple[PageSpec, tuple[str, ...]]]] = {
    "Casework": [
        (PageSpec("cases.py", "Cases", ":material/search:"), ("case.view", "case.import")),
        (PageSpec("timeline.py", "Timeline", ":material/timeline:"), ("case.view",)),
        (PageSpec("early_look.py", "Early look", ":material/checklist:"),
         ("early_look.view",)),
        (PageSpec("review.py", "SFO review", ":material/rate_review:"), ("review.view",)),
    ],
    "Quality": [
        (PageSpec("dip_samples.py", "Dip samples", ":material/fact_check:"), ("dip.run",)),
        (PageSpec("themes.py", "Themes", ":material/insights:"), ("themes.view",)),
    ],
    "Administration": [
        (PageSpec("users.py", "Users", ":material/group:"), ("users.manage",)),
        (PageSpec("audit_log.py", "Audit log", ":material/history:"), ("audit.view",)),
        (PageSpec("settings.py", "Rules and settings", ":material/tune:"),
         ("settings.view",)),
    ],
    "Account": [(PageSpec("account.py", "Your account", ":material/person:"), ())],
}


def menu_for(user: Actor) -> dict[str, list[PageSpec]]:
    """The pages one person may use, by section (a page needs any one of its actions)."""
    out: dict[str, list[PageSpec]] = {}
    for section, items in MENU.items():
        shown = [spec for spec, actions in items
                 if not actions or any(access.can(user, a) for a in actions)]
        if shown:
            out[section] = shown
    return out


def pages_for(user: Actor) -> dict[str, list[StreamlitPage]]:
    """The navigation menu for one person, the first page their default."""
    menu = menu_for(user)
    first = next(iter(menu.values()))[0]
    return {section: [st.Page(f"{HERE}/{p.file}", title=p.title, icon=p.icon,
                              default=p is first) for p in specs]
            for section, specs in menu.items()}


def run() -> None:
    """Sign in, or show the pages the signed-in person may use."""
    user = session.current_user()
    if user is None:
        page = st.navigation([st.Page(f"{HERE}/sign_in.py", title="Sign in",
                                      icon=":material/login:")], position="hidden")
    else:
        with st.sidebar:
            roles = ", ".join(access.ROLE_LABELS[r] for r in user.roles)
            st.markdown(f"Signed in as **{user.name}**  \n{roles}")
        page = st.navigation(pages_for(user))
    page.run()
