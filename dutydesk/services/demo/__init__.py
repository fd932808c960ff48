"""The demo night: its TOML file, and loading it into a database."""
