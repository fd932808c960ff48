"""One way to report a failed read from any pane's thread worker.

``Worker.StateChanged`` does not bubble: it goes to the node that started the worker.
Every node that runs workers mixes this in, so a failed read becomes a notification
(with the error text sanitised) instead of a crash or a silent gap.
"""

from __future__ import annotations

from textual.dom import DOMNode
from textual.worker import Worker, WorkerState

from dutydesk.i18n import t
from dutydesk.tui.text import safe


def report_failure(node: DOMNode, event: Worker.StateChanged) -> bool:
    """Notify the officer if ``event`` says a worker failed; True if it did."""
    if event.state is not WorkerState.ERROR or event.worker.error is None:
        return False
    message = t("app.error", message=safe(str(event.worker.error)).plain)
    node.app.notify(message, severity="error", markup=False)
    return True


class ReportsWorkerErrors:
    """Mixin: tell the officer when one of this node's workers fails."""

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """Turn a failed worker into a notification."""
        assert isinstance(self, DOMNode)
        report_failure(self, event)
