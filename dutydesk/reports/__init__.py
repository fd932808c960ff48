"""Renderers: handover, daily summary, bulletins. They render plain data, no database."""
