"""The main screen's key handlers, as mixins of :class:`dutydesk.tui.screens.main.MainScreen`."""
