"""Pure rules of the duty desk: no I/O, no database, no UI."""
