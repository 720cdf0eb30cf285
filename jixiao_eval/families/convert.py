"""Office file -> PDF with LibreOffice (soffice --headless), the producers of the families set."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path


class NoLibreOffice(RuntimeError):
    """soffice is not installed (apt-get install libreoffice-calc-nogui libreoffice-writer-nogui)."""


def soffice() -> str:
    """Path of the soffice binary, or raise NoLibreOffice."""
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if found is None:
        raise NoLibreOffice(
            "LibreOffice not found: apt-get install -y libreoffice-calc-nogui "
            "libreoffice-writer-nogui fonts-noto-cjk"
        )
    return found


def to_pdf(source: Path, out_pdf: Path) -> None:
    """Convert one .xlsx/.docx to out_pdf (a private LibreOffice profile, so runs never clash)."""
    with tempfile.TemporaryDirectory(prefix="jixiao-lo-") as tmp:
        profile = Path(tmp) / "profile"
        subprocess.run(
            [
                soffice(),
                f"-env:UserInstallation={profile.as_uri()}",
                "--headless",
                "--convert-to",
                "pdf",
                "--outdir",
                tmp,
                str(source),
            ],
            check=True,
            capture_output=True,
            timeout=180,
        )
        made = Path(tmp) / f"{source.stem}.pdf"
        if not made.is_file():
            raise RuntimeError(f"LibreOffice made no PDF from {source}")
        shutil.move(str(made), out_pdf)
