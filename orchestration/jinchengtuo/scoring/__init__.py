"""The index as a numpy reference implementation (independent of dbt), for tests and audits.

    from jinchengtuo.scoring import Framework, ScoringOptions, Panel, score
"""

from jinchengtuo.scoring.framework import CAPACITIES, Framework
from jinchengtuo.scoring.index import (Panel, Prepared, ScoreResult, aggregate, compute_index, panel_from_warehouse, prepare,
                                      score, to_frames)
from jinchengtuo.scoring.options import ScoringOptions

__all__ = ["CAPACITIES", "Framework", "Panel", "Prepared", "ScoreResult", "ScoringOptions", "aggregate", "compute_index",
           "panel_from_warehouse", "prepare", "score", "to_frames"]
