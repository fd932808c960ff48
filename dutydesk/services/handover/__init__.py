"""The 08:30 handover pack: building it, storing and acknowledging it."""
