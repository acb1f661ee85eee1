"""Users: the accounts, their roles and units; add one, change one, reset or unlock it.

Changes name the version of the account they started from (kept per account
in ``sfo_adm_seen``), so an administrator never silently overwrites a change
another administrator made meanwhile: the page shows theirs instead.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pandas as pd
import streamlit as st

from sfo.domain import access
from sfo.domain.casework import User
from sfo.services import accounts
from ui.components import feedback, session

SEEN = "sfo_adm_seen"         # user name -> the version of the account the form shows
NOTICE = "sfo_adm_notice"     # what the last change did, shown once after the rerun
PICK = "sfo_adm_pick"


def units_of(u: User) -> list[str]:
    return [p.strip() for p in (u.region or "").split(",") if p.strip()]


def locked_until(u: User) -> datetime | None:
    when = u.locked_until
    if when is None:
        return None
    when = when if when.tzinfo is not None else when.replace(tzinfo=UTC)
    return when if when > datetime.now(UTC) else None


def role_label(role: str) -> str:
    return access.ROLE_LABELS.get(role, role)


def done(message: str, saved: User | None = None) -> None:
    """Remember what was done and the version now shown, then draw the page again."""
    st.session_state[NOTICE] = message
    if saved is not None:
        st.session_state.setdefault(SEEN, {})[saved.username] = saved.version
    st.rerun()


def save(username: str, message: str, **change: Any) -> None:
    """One change to an account, from the version the page shows; a conflict is shown."""
    seen: dict[str, int] = st.session_state.setdefault(SEEN, {})
    saved = feedback.attempt(accounts.update_user, username, actor=user,
                             expected_version=seen[username], **change)
    if saved is not None:
        done(message, saved)


user = session.user()
st.title("Users")
st.write("Each person has their own account. Roles decide which pages and actions they may "
         "use; units, when given, limit the cases they see. Every change here is written to "
         "the audit log.")
notice = st.session_state.pop(NOTICE, None)
if notice:
    st.success(notice)

found = feedback.attempt(accounts.list_users, actor=user)
if found is None:
    st.stop()
assert found is not None
by_name = {u.username: u for u in found}
known_units = sorted({p for u in found for p in units_of(u)})

st.subheader("Accounts")
st.dataframe(pd.DataFrame([{
    "User name": u.username, "Name": u.display_name,
    "Roles": ", ".join(role_label(r) for r in u.roles),
    "Units": ", ".join(units_of(u)) or "all",
    "Signs in with": "a password" if u.password_hash else "single sign-on only",
    "Switched on": "yes" if u.active else "no (switched off)",
    "Locked": (f"until {lock.astimezone():%H:%M}" if (lock := locked_until(u))
               else f"no ({u.failed_logins} wrong)" if u.failed_logins else "no"),
} for u in found]), hide_index=True, width="stretch", key="sfo_adm_users_table")

# -- add an account -----------------------------------------------------------------------------
with (st.expander("Add an account", icon=":material/person_add:"),
      st.form("sfo_adm_add", enter_to_submit=False)):
        a, b = st.columns(2)
        new_name = a.text_input("User name", key="sfo_adm_new_username",
                                help="What they type to sign in, in small letters without "
                                     "spaces. For single sign-on, their email address.")
        new_display = b.text_input("Name", key="sfo_adm_new_display",
                                   help="How the audit log and documents name them.")
        new_roles = st.multiselect("Roles", access.ROLES, format_func=role_label,
                                   key="sfo_adm_new_roles", placeholder="Choose roles")
        new_units = st.multiselect(
            "Probation delivery units", known_units, accept_new_options=True,
            key="sfo_adm_new_units", placeholder="All units",
            help="Leave empty to let them see every unit. Type a unit's name exactly as the "
                 "case records spell it to add one not listed.")
        how = st.radio("How they sign in", ["With a password", "Single sign-on only"],
                       horizontal=True, key="sfo_adm_new_how",
                       help="Single sign-on only: no password here; they sign in with the "
                            "organisation's account (SFO_OIDC).")
        c, d = st.columns(2)
        first = c.text_input("First password", type="password", key="sfo_adm_new_pw1",
                             help=f"At least {accounts.MIN_PASSWORD} characters. Give it to "
                                  "them in person; three or four unrelated words make a "
                                  "strong one.")
        again = d.text_input("The password again", type="password", key="sfo_adm_new_pw2")
        if st.form_submit_button("Add the account", type="primary"):
            if how == "With a password" and first != again:
                st.error("The two passwords are not the same. Type them again.")
            elif how == "With a password" and not first:
                st.error("Give a first password, or choose single sign-on only.")
            else:
                made = feedback.attempt(
                    accounts.create_user, new_name, display_name=new_display,
                    roles=new_roles, pdus=new_units, actor=user,
                    password=first if how == "With a password" else None)
                if made is not None:
                    for key in [k for k in st.session_state
                                if str(k).startswith("sfo_adm_new_")]:
                        del st.session_state[key]    # an empty form for the next one
                    done(f"Added {made.username} ({', '.join(map(role_label, made.roles))}).",
                         made)

# -- change an account --------------------------------------------------------------------------
st.subheader("Change an account")
pick = st.selectbox("Account", list(by_name), index=None, key=PICK,
                    placeholder="Choose an account",
                    format_func=lambda n: f"{n} ({by_name[n].display_name})")
if pick is None:
    st.stop()
assert pick is not None
current = by_name[pick]
seen: dict[str, int] = st.session_state.setdefault(SEEN, {})
seen.setdefault(pick, current.version)
if seen[pick] != current.version:
    when = (f" at {current.updated_at.astimezone():%H:%M on %d %B %Y}"
            if current.updated_at else "")
    st.warning(f"{pick} was changed by {current.updated_by or 'someone'}{when}, after you "
               "opened it. A change you save now is refused and shows what they changed; "
               "look at their version first.")
    if st.button("Show their version", key=f"sfo_adm_theirs_{pick}_{seen[pick]}"):
        seen[pick] = current.version
        st.rerun()
yourself = pick == user.username
tag = f"{pick}_{seen[pick]}"       # a new version of the account gives the form fresh values

lock = locked_until(current)
if lock or current.failed_logins:
    said = (f"locked until {lock.astimezone():%H:%M}" if lock
            else f"{current.failed_logins} wrong password(s) in a row so far")
    left, right = st.columns([3, 1], vertical_alignment="center")
    left.warning(f"{pick} is {said}.")
    if right.button("Unlock", key=f"sfo_adm_unlock_{tag}", icon=":material/lock_open:"):
        save(pick, f"Unlocked {pick}: they can sign in again.", unlock=True)

with st.form(f"sfo_adm_edit_{tag}", enter_to_submit=False):
    display = st.text_input("Name", value=current.display_name, key=f"sfo_adm_display_{tag}")
    roles = st.multiselect("Roles", access.ROLES, default=list(current.roles),
                           format_func=role_label, key=f"sfo_adm_roles_{tag}")
    units = st.multiselect("Probation delivery units", sorted({*known_units}),
                           default=units_of(current), accept_new_options=True,
                           placeholder="All units", key=f"sfo_adm_units_{tag}",
                           help="Leave empty to let them see every unit.")
    active = st.toggle("Switched on (they can sign in)", value=current.active,
                       key=f"sfo_adm_active_{tag}",
                       help="Switch an account off when someone leaves or changes job; it "
                            "stays in the audit log and can be switched on again.")
    if st.form_submit_button("Save the changes", type="primary"):
        if yourself and not active:
            st.error("You cannot switch off your own account: ask another administrator.")
        elif yourself and "admin" not in roles:
            st.error("You cannot take away your own administrator role: ask another "
                     "administrator.")
        else:
            save(pick, f"Saved the changes to {pick}.", roles=roles, display_name=display,
                 pdus=units, active=active)

with st.form(f"sfo_adm_password_{tag}", clear_on_submit=True, enter_to_submit=False):
    st.markdown(f"**Set a new password for {pick}**" + (
        " (they sign in with single sign-on now; a password lets them sign in here too)"
        if not current.password_hash else ""))
    c, d = st.columns(2)
    new = c.text_input("New password", type="password", key=f"sfo_adm_pw1_{tag}")
    repeat = d.text_input("The new password again", type="password", key=f"sfo_adm_pw2_{tag}")
    if st.form_submit_button("Set the password"):
        if new != repeat:
            st.error("The two passwords are not the same. Type them again.")
        elif not new:
            st.error("Type the new password twice.")
        else:
            save(pick, f"Set a new password for {pick}. Give it to them in person; it also "
                       "unlocks the account.", password=new, unlock=True)
