"""Remix Studio: remix contributed clips on a timeline and export pieces that carry their credits."""

__version__ = "0.1.0"
