"""dutydesk tests."""
