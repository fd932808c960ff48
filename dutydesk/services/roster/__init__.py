"""The shift roster: shifts and rotation, swaps and cover, import, leave, people, the pane."""
