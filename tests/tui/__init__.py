"""Console tests: Pilot and snapshot."""
