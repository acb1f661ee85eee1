"""Settings: each read at call time from the environment, with a default and help.

Nothing here is read at import time, so tests and tools can change a setting
for one call. ``sfo settings`` prints the list; docs/settings.md documents it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Setting:
    """One setting: its environment variable, default and what it is for."""

    env: str
    default: str
    help: str

    def get(self) -> str:
        """The current value (environment, else the default)."""
        return os.environ.get(self.env, self.default)


SETTINGS: tuple[Setting, ...] = (
    Setting("SFO_RULES", "", "Path of a local rule pack laid over the default one "
            "(the same as --rules); empty for the default pack."),
    Setting("SFO_CHECKLIST", "", "Path of a local early-look checklist that replaces the "
            "shipped one as a whole; empty for the shipped checklist."),
    Setting("SFO_EARLY_LOOK_DAYS", "5", "Working days from the charge by which the early look "
            "is due (a local default: no current national timescale was found)."),
    Setting("SFO_NOTIFICATION_DAYS", "10", "Working days from the charge by which the SFO "
            "notification is due (a local default: no current national timescale was found)."),
    Setting("SFO_TEMPLATE_DIR", "", "Folder of local document templates: an early_look.docx "
            "or early_look.html.j2 there is used instead of the shipped one; empty for the "
            "shipped templates."),
    Setting("SFO_DATA_DIR", "var", "Folder for generated demo data and local working files."),
    Setting("SFO_PROGRESS", "auto", "Progress bars on stderr: 'auto' (for bundles of 200 "
            "people or more, when stderr is a terminal or forced), 'always' or 'never'."),
    Setting("SFO_MAX_UNZIPPED_MB", "4096", "The most a zipped bundle may unpack to, in MB; "
            "a larger (or lying) zip is refused before it fills memory."),
    Setting("SFO_DATABASE_URL", "", "Where early looks, reviews, dip samples and the audit log "
            "are kept: sqlite:///path/to/file.db or postgresql://user@host/database (the same "
            "as --db); empty for the SQLite file sfo.db in SFO_DATA_DIR."),
    Setting("SFO_PDF_TIMEOUT", "120", "Seconds LibreOffice may take to turn one Word document "
            "into a PDF before it is stopped."),
    Setting("SFO_SIGNIN_ATTEMPTS", "5", "Wrong passwords in a row before an account is locked "
            "for SFO_LOCKOUT_MINUTES."),
    Setting("SFO_LOCKOUT_MINUTES", "15", "Minutes an account stays locked after too many "
            "wrong passwords."),
    Setting("SFO_IDLE_MINUTES", "30", "Minutes without activity after which the app signs a "
            "person out."),
    Setting("SFO_OIDC", "", "Set to 1 to sign in through the organisation's single sign-on "
            "(OpenID Connect, st.login; configured in .streamlit/secrets.toml) instead of "
            "local passwords; the person's email must match a local account's user name."),
    Setting("SFO_DEBUG", "", "Set to 1 to show a full traceback for unexpected errors."),
)


def setting(env: str) -> str:
    """The value of a registered setting."""
    for s in SETTINGS:
        if s.env == env:
            return s.get()
    raise KeyError(f"{env} is not a registered setting")
