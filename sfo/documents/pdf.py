"""PDF copies of Word documents, made by LibreOffice when it is installed.

The Word file stays the document of record (its content fingerprint is in
its footer, and the PDF shows the same footer). LibreOffice runs headless,
with a profile of its own in a temporary folder so that it neither needs nor
disturbs a user's open LibreOffice, and is stopped after
``SFO_PDF_TIMEOUT`` seconds.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from sfo import config
from sfo.errors import SfoError

__all__ = ["PdfUnavailable", "available", "to_pdf"]


class PdfUnavailable(SfoError):
    """A PDF cannot be made here: LibreOffice is missing, failed or took too long."""


def _office() -> str | None:
    return shutil.which("libreoffice") or shutil.which("soffice")


def available() -> bool:
    """Whether LibreOffice is installed, so PDFs can be made."""
    return _office() is not None


def to_pdf(docx: bytes, *, name: str = "document") -> bytes:
    """The PDF of a Word document (.docx bytes), converted by LibreOffice."""
    office = _office()
    if office is None:
        raise PdfUnavailable(
            "A PDF needs LibreOffice, which is not installed on this computer. Download the "
            "Word file and save it as PDF from Word, or ask for LibreOffice Writer to be "
            "installed (Debian and Ubuntu: apt install libreoffice-writer-nogui).")
    raw = config.setting("SFO_PDF_TIMEOUT")
    if not raw.isdigit() or int(raw) < 1:
        raise PdfUnavailable(f"SFO_PDF_TIMEOUT is '{raw}'; expected a whole number of seconds.")
    with tempfile.TemporaryDirectory(prefix="sfo-pdf-") as tmp:
        folder = Path(tmp)
        source = folder / f"{name}.docx"
        source.write_bytes(docx)
        command = [office, f"-env:UserInstallation={(folder / 'profile').as_uri()}",
                   "--headless", "--norestore", "--convert-to", "pdf", "--outdir",
                   str(folder), str(source)]
        try:
            done = subprocess.run(command, capture_output=True, timeout=int(raw), check=False)
        except subprocess.TimeoutExpired:
            raise PdfUnavailable(f"LibreOffice took more than {raw} seconds to make the PDF, "
                                 "so it was stopped. Try again, or download the Word file."
                                 ) from None
        pdf = folder / f"{name}.pdf"
        if done.returncode != 0 or not pdf.exists():
            said = (done.stderr or done.stdout).decode("utf-8", "replace").strip()
            raise PdfUnavailable("LibreOffice could not make the PDF"
                                 + (f" ({said.splitlines()[-1]})" if said else "")
                                 + ". Download the Word file instead.")
        return pdf.read_bytes()
