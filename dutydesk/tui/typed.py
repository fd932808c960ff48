"""Priority keys that read a form wait for the keys typed before them.

A priority binding (``ctrl+s`` in a form: it must reach past every field) runs as the
app receives the key, while the keys typed just before it are still waiting in the
focused field's own queue. On a loaded machine, or with pasted text, ``ctrl+s`` then
read the field before its last characters arrived: the form refused an empty summary
the screen showed filled, or stored the text cut short (the e2e intake test caught it
under CI load). :func:`after_typing` runs such an action from the focused widget's
queue instead, behind every key it still holds. ``ctrl+q`` and ``ctrl+o`` ask whether
typed text is unsaved the same way, so text typed just before them is not thrown away
unasked.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Concatenate, ParamSpec, TypeVar

from textual.dom import DOMNode

S = TypeVar("S", bound=DOMNode)
P = ParamSpec("P")


def after_typing(action: Callable[Concatenate[S, P], None]) -> Callable[Concatenate[S, P], None]:
    """Run ``action`` once the focused widget has handled every key typed before it."""

    def run(node: S, /, *args: P.args, **kwargs: P.kwargs) -> None:
        focused = node.app.focused
        if focused is None or focused is node or not focused.is_attached:
            action(node, *args, **kwargs)
            return
        # The focused widget's queue is first in, first out: the callback comes after
        # the keys already forwarded to it. It only hands the action back to ``node``'s
        # own queue: run inside the field, an action that closes the field's screen
        # (signing out) would wait on the field's own removal.
        focused.call_later(node.call_later, functools.partial(action, node, *args, **kwargs))

    functools.update_wrapper(run, action)  # the name and docstring the keys screen shows
    return run
