"""Key bindings whose descriptions and tooltips are catalog keys, translated per instance.

``Binding`` is a frozen dataclass read by the footer, the keys screen and the command
palette at display time. Classes declare bindings with catalog keys (``"keys.down"``,
``"tip.down"``); :func:`translate_bindings` replaces them on each instance with the text
of the current language. Because the class-level originals are kept, calling it again
after a language change re-translates instead of translating a translation.
"""

from __future__ import annotations

from dataclasses import replace

from textual.binding import Binding, BindingsMap
from textual.dom import DOMNode

from dutydesk.i18n import t


def key(
    keys: str,
    action: str,
    name: str,
    *,
    show: bool = True,
    priority: bool = False,
    key_display: str | None = None,
) -> Binding:
    """A binding whose description is ``keys.<name>``, tooltip ``tip.<name>``, id ``<name>``.

    Args:
        keys: Comma-separated keys, as Textual writes them (``"down,j"``).
        action: The action to run.
        name: The binding id; also names its catalog entries.
        show: Show it in the footer.
        priority: Check it before the focused widget's bindings.
        key_display: How the footer writes the key.

    """
    return Binding(
        keys,
        action,
        f"keys.{name}",
        show=show,
        priority=priority,
        key_display=key_display,
        tooltip=f"tip.{name}",
        id=name,
    )


def translate_bindings(node: DOMNode) -> None:
    """Give ``node`` its class bindings with descriptions and tooltips in the current language."""
    merged = type(node)._merged_bindings
    if merged is None:
        return
    translated: dict[str, list[Binding]] = {}
    for keys, bindings in merged.key_to_bindings.items():
        translated[keys] = [
            replace(
                binding,
                description=t(binding.description) if binding.description else "",
                tooltip=t(binding.tooltip) if binding.tooltip else "",
            )
            for binding in bindings
        ]
    extra = {
        keys: bindings
        for keys, bindings in node._bindings.key_to_bindings.items()
        if keys not in translated
    }
    node._bindings = BindingsMap.from_keys({**translated, **extra})
