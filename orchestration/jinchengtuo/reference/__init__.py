"""Reference data: the 74 streets, the districts, and resolving street names to codes."""

from jinchengtuo.reference.streets import Street, StreetDirectory, load_districts, load_streets

__all__ = ["Street", "StreetDirectory", "load_districts", "load_streets"]
