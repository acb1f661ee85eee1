"""Sign in: with a local account, or through single sign-on when it is set up."""

from __future__ import annotations

import streamlit as st

from sfo import config
from sfo.errors import SfoError
from sfo.services import accounts
from ui.components import feedback, session

st.title("Sign in")
st.write("Serious further offence early looks, reviews and dip samples. The records here are "
         "personal data: sign in with your own account, and sign out when you have finished.")
notice = st.session_state.pop(session.NOTICE, None)
if notice:
    st.info(notice)

if config.setting("SFO_OIDC") == "1":
    if getattr(st.user, "is_logged_in", False):
        email = str(st.user.get("email") or "")
        with feedback.reported():
            session.sign_in(accounts.actor_for_email(email))
            st.rerun()
    st.button("Sign in with your organisation's account", on_click=st.login, type="primary")
else:
    with st.form("sfo_sign_in_form"):
        username = st.text_input("User name", autocomplete="username")
        password = st.text_input("Password", type="password", autocomplete="current-password")
        submitted = st.form_submit_button("Sign in", type="primary")
    if submitted:
        try:
            actor = accounts.authenticate(username, password)
        except SfoError as exc:
            feedback.show(exc)
        else:
            session.sign_in(actor)
            st.rerun()
    st.caption("Forgotten your password, or locked out? Ask an administrator to reset it.")
