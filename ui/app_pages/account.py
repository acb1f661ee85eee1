"""Your account: who you are signed in as, what your roles let you do, and signing out."""

from __future__ import annotations

import streamlit as st

from sfo.domain import access
from ui.components import session

user = session.user()
st.title("Your account")
st.write(f"You are signed in as **{user.name}** (user name `{user.username}`).")
st.subheader("What your roles let you do")
allowed = [words for action, (roles, words) in access.PERMISSIONS.items()
           if access.can(user, action)]
st.markdown("\n".join(f"- You can {w}." for w in allowed) or "Your account has no roles yet.")
if user.pdus:
    st.write("You see the cases of these probation delivery units: " + ", ".join(user.pdus) + ".")
if access.can_see_restricted(user):
    st.write("You can see restricted entries (personal circumstances). Do not copy them into "
             "anything shared beyond the manager, the reviewer and HR.")
if st.button("Sign out", type="primary"):
    session.sign_out()
    st.rerun()
