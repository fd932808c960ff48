"""Where the console writes documents (handover pack, bulletins) and in which format.

The officer types a path; its extension picks the format (``.docx``, ``.md``, anything
else plain text). The default folder is ``~/Documents`` when it exists (where office
staff look for files), else the directory the console was started in.
"""

from __future__ import annotations

from pathlib import Path

FORMATS = ("txt", "md", "docx")
"""Formats the console exports; the extension of the typed path chooses one."""


def default_folder() -> Path:
    """``~/Documents`` if it exists, else the current directory."""
    documents = Path.home() / "Documents"
    return documents if documents.is_dir() else Path.cwd()


def default_path(stem: str, extension: str = "docx") -> str:
    """A proposed file path for ``stem`` in :func:`default_folder`."""
    return str(default_folder() / f"{stem}.{extension}")


def format_of(path: str) -> str:
    """``docx``, ``md`` or ``txt`` from the path's extension."""
    suffix = Path(path).suffix.lower().lstrip(".")
    return suffix if suffix in FORMATS else "txt"


def write(path: str, data: str | bytes) -> Path:
    """Write ``data`` to ``path`` (``~`` expanded, parent must exist); return the full path.

    Raises:
        OSError: the folder does not exist or cannot be written.

    """
    from dutydesk.storage.private import write_private

    target = Path(path).expanduser().resolve()
    write_private(target, data if isinstance(data, bytes) else data.encode("utf-8"))
    return target
