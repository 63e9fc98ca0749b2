"""The index as a numpy reference implementation (independent of dbt), for tests and audits.

    from jinchengtuo.scoring import Framework, ScoringOptions, Panel, score
"""

from jinchengtuo.scoring.framework import CAPACITIES, Framework
from jinchengtuo.scoring.index import Panel, ScoreResult, compute_index, panel_from_warehouse, score, to_frames
from jinchengtuo.scoring.options import ScoringOptions

__all__ = ["CAPACITIES", "Framework", "Panel", "ScoreResult", "ScoringOptions", "compute_index",
           "panel_from_warehouse", "score", "to_frames"]
