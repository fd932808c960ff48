"""The record's integrity: the hash chain, verify and backup, keys, sealed content."""
