"""Base classes of screens: forms, one-line forms, and the bulletin work screen."""
