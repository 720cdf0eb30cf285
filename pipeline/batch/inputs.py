"""The inputs of a run: files, folders and globs expanded; names printable whatever their bytes;
their sha256 and their JSON names (kept here so the driver need not import the pipeline)."""

from __future__ import annotations

import glob
import hashlib
import os
from collections.abc import Sequence
from pathlib import Path


def display_name(path: Path | str) -> str:
    """The path as text: UTF-8, else GB18030 (zips made on Chinese Windows), else escaped bytes."""
    raw = os.fsencode(path)
    for encoding in ("utf-8", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return raw.decode("utf-8", "backslashreplace")  # pragma: no cover - gb18030 decodes nearly all


def _pdfs_below(folder: Path) -> list[Path]:
    # os.walk does not follow symlinked folders, so a link loop below cannot recurse forever
    found = []
    for root, _, files in os.walk(folder):
        found += [Path(root) / f for f in files if f.lower().endswith(".pdf")]
    return sorted(p for p in found if p.is_file())


def expand_inputs(items: list[str], unmatched: list[str] | None = None) -> list[Path]:
    """Files, folders (every *.pdf below) and globs, in a stable order, without duplicates.

    Globs that match nothing are appended to `unmatched`, so the caller can report them.
    Paths that cannot be resolved (a symbolic link loop) are kept: the run reports them.
    """
    out: list[Path] = []
    for item in items:
        p = Path(item)
        if p.is_dir():
            out += _pdfs_below(p)
        elif any(ch in item for ch in "*?[") and not p.exists():
            found = sorted(Path(m) for m in glob.glob(item, recursive=True) if Path(m).is_file())
            if not found and unmatched is not None:
                unmatched.append(item)
            out += found
        else:
            out.append(p)  # missing files are reported by the pipeline, one line each
    seen: set[str] = set()
    unique = []
    for p in out:
        key = os.path.realpath(p)  # never raises, unlike Path.resolve on a link loop
        if key not in seen:
            seen.add(key)
            unique.append(p)
    return unique


def file_sha256(path: Path) -> str:
    """sha256 of a file, as recorded in DocumentResult.sha256."""
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def output_names(paths: Sequence[Path | str]) -> list[str]:
    """One JSON name per input: the stem, made unique (stem-2, ...) without taking another's name."""
    stems = [Path(display_name(p)).stem for p in paths]
    taken = set(stems)
    used: set[str] = set()
    names = []
    for stem in stems:
        name = stem
        n = 1
        while name in used or (name != stem and name in taken):
            n += 1
            name = f"{stem}-{n}"
        used.add(name)
        names.append(f"{name}.json")
    return names
