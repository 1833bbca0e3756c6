"""Broadsheet: a static-site generator for a curated reading archive."""

__version__ = "0.1.0"
