"""dutydesk: a keyboard-driven terminal console for a government duty desk (值班室)."""

__version__ = "0.1.0"
