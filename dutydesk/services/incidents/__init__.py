"""Incidents: intake, follow-up entries, edits, the queue, listing, search and the daily summary."""
