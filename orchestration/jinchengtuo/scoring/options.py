"""Scoring options: the method is configuration, the same set the dbt models take as vars.

The defaults mirror dbt_project/macros/scoring_options.sql (a test checks they agree), and
`methodology_version` builds the same version string the marts record: the framework version,
plus '+name=value,…' for every option that differs from its default. The coverage gates that decide
whether a street is scored and ranked and a year published as a ranking are framework data
(dbt_project/seeds/coverage_gates.csv, `Framework.gates`), not options.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace

NORMALISATIONS = ("goalposts", "minmax_year", "zscore")
WEIGHTINGS = ("expert", "equal", "entropy", "critic")
AGGREGATIONS = ("arithmetic", "geometric")

# option name in Python → dbt var name
DBT_VAR_NAMES = {
    "normalisation": "scoring_normalisation",
    "weighting": "scoring_weighting",
    "aggregation": "scoring_aggregation",
    "goalpost_reference_years": "goalpost_reference_years",
    "min_indicator_coverage": "min_indicator_coverage",
    "impute_max_gap_years": "impute_max_gap_years",
    "winsor_skew_threshold": "winsor_skew_threshold",
    "winsor_kurtosis_threshold": "winsor_kurtosis_threshold",
    "winsor_max_points": "winsor_max_points",
}


@dataclass(frozen=True)
class ScoringOptions:
    normalisation: str = "goalposts"
    weighting: str = "expert"
    aggregation: str = "arithmetic"
    goalpost_reference_years: tuple[int, ...] = (2019, 2020, 2021)
    min_indicator_coverage: float = 0.65
    impute_max_gap_years: int = 2
    winsor_skew_threshold: float = 2.0
    winsor_kurtosis_threshold: float = 3.5
    winsor_max_points: int = 5

    def __post_init__(self) -> None:
        for name, allowed in (("normalisation", NORMALISATIONS), ("weighting", WEIGHTINGS), ("aggregation", AGGREGATIONS)):
            if getattr(self, name) not in allowed:
                raise ValueError(f"scoring option {name}={getattr(self, name)!r} is not one of {', '.join(allowed)}")
        object.__setattr__(self, "goalpost_reference_years", tuple(int(y) for y in self.goalpost_reference_years))
        if not 0 <= self.min_indicator_coverage <= 1:
            raise ValueError("min_indicator_coverage must lie between 0 and 1")
        if self.impute_max_gap_years < 0 or self.winsor_max_points < 0:
            raise ValueError("impute_max_gap_years and winsor_max_points must be >= 0")

    def with_(self, **changes) -> "ScoringOptions":
        return replace(self, **changes)

    def dbt_vars(self) -> dict:
        """The dbt --vars mapping for these options (only the non-default ones)."""
        default = ScoringOptions()
        out = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value != getattr(default, f.name):
                out[DBT_VAR_NAMES[f.name]] = list(value) if isinstance(value, tuple) else value
        return out

    @staticmethod
    def option_text(value) -> str:
        if isinstance(value, str):
            return value
        if isinstance(value, (tuple, list)):
            return "|".join(f"{v:g}" for v in value)
        return f"{value:g}"

    def variant_suffix(self) -> str:
        default = ScoringOptions()
        parts = []
        for f in sorted(fields(self), key=lambda f: DBT_VAR_NAMES[f.name]):
            text = self.option_text(getattr(self, f.name))
            if text != self.option_text(getattr(default, f.name)):
                parts.append(f"{DBT_VAR_NAMES[f.name]}={text}")
        return "+" + ",".join(parts) if parts else ""

    def methodology_version(self, framework_version: str) -> str:
        return framework_version + self.variant_suffix()

    def as_dict(self) -> dict:
        return asdict(self)
