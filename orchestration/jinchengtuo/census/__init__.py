"""Census extracts: the 2020 (7th) census per street, and district populations by year."""

from jinchengtuo.census.loader import CensusError, CensusLoad, load_census_dir, read_census_file

__all__ = ["CensusError", "CensusLoad", "load_census_dir", "read_census_file"]
