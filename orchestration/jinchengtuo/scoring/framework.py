"""The indicator framework as data, read from the dbt seeds (dbt_project/seeds/).

The same CSV files drive the dbt models and this reference implementation, so a weight
changed there changes both.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from jinchengtuo import config

CAPACITIES = ("EXE", "SRV", "DLB", "EMG", "SAF")
GATES = ("street_min_documents", "street_min_indicator_share", "street_min_capacities",
         "year_min_ranked_share", "year_min_indicator_share", "year_min_capacities")


def seeds_dir() -> Path:
    return config.DBT_PROJECT_DIR / "seeds"


@dataclass(frozen=True)
class Framework:
    indicators: pd.DataFrame  # all rows of indicator_framework.csv (scored and CTX)
    capacities: pd.DataFrame  # capacity_framework.csv
    tiers: pd.DataFrame  # tier_bands.csv
    fields: pd.DataFrame  # field_catalog.csv
    coverage_gates: pd.DataFrame  # coverage_gates.csv

    @classmethod
    def load(cls, directory: Path | None = None) -> "Framework":
        d = Path(directory or seeds_dir())

        def read(name: str) -> pd.DataFrame:
            path = d / name
            try:
                return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
            except FileNotFoundError as exc:
                raise FileNotFoundError(f"framework file missing: {path}") from exc

        ind = read("indicator_framework.csv")
        ind["direction"] = ind["direction"].astype(int)
        ind["default_weight"] = ind["default_weight"].astype(float)
        ind["sort_order"] = ind["sort_order"].astype(int)
        ind = ind.sort_values("sort_order").reset_index(drop=True)
        cap = read("capacity_framework.csv")
        cap["weight"] = cap["weight"].astype(float)
        cap["sort_order"] = cap["sort_order"].astype(int)
        cap = cap.sort_values("sort_order").reset_index(drop=True)
        tiers = read("tier_bands.csv")
        tiers["tier_band"] = tiers["tier_band"].astype(int)
        tiers["upper_rank_pct"] = tiers["upper_rank_pct"].astype(int)
        tiers = tiers.sort_values("tier_band").reset_index(drop=True)
        gates = read("coverage_gates.csv")
        gates["threshold"] = gates["threshold"].astype(float)
        fw = cls(ind, cap, tiers, read("field_catalog.csv"), gates)
        fw.validate()
        return fw

    def validate(self) -> None:
        """Fail with a clear message when the framework data are inconsistent."""
        problems = []
        ind = self.indicators
        if ind["indicator_id"].duplicated().any():
            problems.append(f"duplicate indicator_id: {sorted(ind.loc[ind.indicator_id.duplicated(), 'indicator_id'])}")
        unknown = set(ind["capacity"]) - set(CAPACITIES) - {"CTX"}
        if unknown:
            problems.append(f"unknown capacity in indicator_framework.csv: {sorted(unknown)}")
        scored = ind[ind.capacity != "CTX"]
        if not scored["direction"].isin([-1, 1]).all():
            problems.append("scored indicators need direction +1 or -1")
        if (scored["default_weight"] <= 0).any():
            problems.append("scored indicators need a positive default_weight")
        if ind["methodology_version"].nunique() != 1:
            problems.append("indicator_framework.csv must carry one methodology_version")
        if set(self.capacities["capacity"]) != set(CAPACITIES):
            problems.append(f"capacity_framework.csv must list exactly {', '.join(CAPACITIES)}")
        if not np.isclose(self.capacities["weight"].sum(), 1.0):
            problems.append("capacity weights must sum to 1")
        known = set(self.fields["field_id"])
        for _, row in ind.iterrows():
            missing = [f for f in row["source_fields"].split(";") if f.strip() not in known]
            if missing:
                problems.append(f"{row['indicator_id']}: source_fields not in field_catalog.csv: {missing}")
        if list(self.tiers["upper_rank_pct"]) != sorted(self.tiers["upper_rank_pct"]) or self.tiers["upper_rank_pct"].iloc[-1] != 100:
            problems.append("tier_bands.csv: upper_rank_pct must increase and end at 100")
        gates = self.coverage_gates
        missing_gates = sorted(set(GATES) - set(gates["gate_id"]))
        if missing_gates:
            problems.append(f"coverage_gates.csv: gates missing: {missing_gates}")
        shares = gates[gates["gate_id"].str.endswith("_share")]
        if ((shares["threshold"] < 0) | (shares["threshold"] > 1)).any():
            problems.append("coverage_gates.csv: share thresholds must lie between 0 and 1")
        if set(gates["methodology_version"]) != {self.version}:
            problems.append("coverage_gates.csv must carry the methodology_version of indicator_framework.csv")
        if problems:
            raise ValueError("invalid scoring framework:\n  " + "\n  ".join(problems))

    @property
    def version(self) -> str:
        return str(self.indicators["methodology_version"].iloc[0])

    @property
    def gates(self) -> dict[str, float]:
        """The coverage gates: gate_id -> threshold."""
        return dict(zip(self.coverage_gates["gate_id"], self.coverage_gates["threshold"].astype(float)))

    @property
    def scored(self) -> pd.DataFrame:
        return self.indicators[self.indicators.capacity != "CTX"].reset_index(drop=True)

    @property
    def context(self) -> pd.DataFrame:
        return self.indicators[self.indicators.capacity == "CTX"].reset_index(drop=True)
