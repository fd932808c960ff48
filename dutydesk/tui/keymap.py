"""Keys remapped from the ``[keymap]`` table of the config file.

Every binding of the console has an id (:func:`dutydesk.tui.bindings.key`); the table
maps ids to Textual key names, e.g. ``new_incident = "a"`` or ``save = "ctrl+s,f2"``.
Textual's ``App.set_keymap`` then rebinds them on every screen. An unknown id or a key
name Textual does not know is left out with a one-line warning, and that binding keeps
its default keys: a typo in the config file must not cost the officer a key.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Mapping

from textual.binding import Binding
from textual.keys import KEY_NAME_REPLACEMENTS, Keys, key_to_character

from dutydesk.i18n import t

MODIFIERS = frozenset({"ctrl", "shift", "alt", "meta", "super", "hyper"})
"""What may precede a key, joined by ``+`` (``ctrl+shift+n``)."""

_NAMED = frozenset(
    [key.value for key in Keys if "+" not in key.value and "<" not in key.value]
    + list(KEY_NAME_REPLACEMENTS.values())  # slash, minus, plus: Textual's short names
)


def default_keys() -> dict[str, tuple[str, ...]]:
    """Every binding id of the console and its default keys (one entry per screen that differs).

    Read from the classes themselves (every module of :mod:`dutydesk.tui` is imported),
    so the list cannot fall behind the code; the README's list is checked against it.
    Only called when the config file has a ``[keymap]`` table, and by the tests: the
    imports cost start-up time the ordinary console does not pay.
    """
    import dutydesk.tui

    found: dict[str, set[str]] = {}
    for module_info in pkgutil.walk_packages(dutydesk.tui.__path__, "dutydesk.tui."):
        module = importlib.import_module(module_info.name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ != module.__name__:
                continue  # counted where it is defined
            for binding in vars(cls).get("BINDINGS", ()):
                if isinstance(binding, Binding) and binding.id:
                    found.setdefault(binding.id, set()).add(binding.key)
    return {binding_id: tuple(sorted(keys)) for binding_id, keys in sorted(found.items())}


def valid_key(name: str) -> bool:
    """True if Textual knows ``name`` as a key: ``a``, ``?``, ``f5``, ``ctrl+n``, ``slash``."""
    *modifiers, base = name.strip().split("+")
    if not base or any(modifier not in MODIFIERS for modifier in modifiers):
        return False
    if len(base) == 1:
        return base.isprintable() and not base.isspace()
    return base in _NAMED or key_to_character(base) is not None


def check_keymap(
    keymap: Mapping[str, str], known: Mapping[str, object]
) -> tuple[dict[str, str], list[str]]:
    """The usable part of ``keymap``, and one problem (interface language) per entry left out.

    Args:
        keymap: binding id -> comma-separated key names, as the config file has them.
        known: the binding ids that exist (see :func:`default_keys`).

    """
    usable: dict[str, str] = {}
    problems: list[str] = []
    for binding_id, keys in keymap.items():
        names = [name.strip() for name in keys.split(",")]
        if binding_id not in known:
            problems.append(t("keymap.unknown_id", id=binding_id))
        elif not all(valid_key(name) for name in names):
            bad = next(name for name in names if not valid_key(name))
            problems.append(t("keymap.bad_key", id=binding_id, key=bad))
        else:
            usable[binding_id] = ",".join(names)
    return usable, problems
