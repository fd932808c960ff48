"""The storage layer: engine, search index, ORM models, the key file, the migrations."""
