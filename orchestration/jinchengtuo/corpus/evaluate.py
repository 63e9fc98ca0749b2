"""Compare an extraction of the sample corpus with its ground truth.

Field-level: a truth value (file, field_id) is recalled when the extraction gives the same
value for that file and field (money to the cent of 万元, i.e. within 0.00005 万元; counts and
rates exactly to 1e-6); an extracted value is precise when the truth has the same value for it.
File-level: the status extraction gives each file against `expected_status` (for duplicate and
superseded files, the inventory's corpus-level decision is compared when given).

Per layout family (`by_family`): the same figures restricted to the files the truth tags with
that family (a file counts for each of its families), with `held_out` saying whether the family
is one the extractor is not tuned against (`corpus/families.py` HELD_OUT). `held_out=False`
judges only files with no held-out family (what tuning tests use), `held_out=True` only the
files with one; `None` (default) judges every file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

TOLERANCE = 5e-5


@dataclass
class Evaluation:
    n_truth: int
    n_extracted: int
    n_correct: int
    recall: float
    precision: float
    wrong: list[dict] = field(default_factory=list)  # extracted values that differ from the truth
    missed: list[dict] = field(default_factory=list)  # truth values not extracted
    spurious: list[dict] = field(default_factory=list)  # extracted values for fields the truth does not have
    status_mismatches: list[dict] = field(default_factory=list)
    by_field: pd.DataFrame | None = None
    by_family: pd.DataFrame | None = None

    def summary(self) -> str:
        lines = [f"values: truth {self.n_truth}, extracted {self.n_extracted}, correct {self.n_correct}; "
                 f"recall {self.recall:.4f}, precision {self.precision:.4f}",
                 f"wrong {len(self.wrong)}, missed {len(self.missed)}, spurious {len(self.spurious)}, "
                 f"file status mismatches {len(self.status_mismatches)}"]
        return "\n".join(lines)


def read_truth(truth_dir: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    files = pd.DataFrame([json.loads(ln) for ln in (truth_dir / "files.jsonl").read_text(encoding="utf-8").splitlines() if ln])
    values = pd.DataFrame([json.loads(ln) for ln in (truth_dir / "values.jsonl").read_text(encoding="utf-8").splitlines() if ln])
    return files, values


def _families(t_files: pd.DataFrame) -> dict[str, list[str]]:
    if "families" not in t_files:
        return {f: [] for f in t_files["file"]}
    return {f: list(fams) if isinstance(fams, list) else [] for f, fams in zip(t_files["file"], t_files["families"])}


def evaluate(truth_dir: Path, documents: pd.DataFrame, values: pd.DataFrame, inventory: pd.DataFrame | None = None,
             held_out: bool | None = None) -> Evaluation:
    """`documents` and `values` as `extract_corpus` returns them (raw.document / raw.extracted_value
    columns, values keyed by content hash); `inventory` optionally marts.fct_document_inventory
    (source_path, status); `held_out` restricts the judged files (see the module docstring)."""
    from jinchengtuo.corpus.families import HELD_OUT, is_held_out

    t_files, t_values = read_truth(Path(truth_dir))
    fams = _families(t_files)
    if held_out is not None:
        keep = {f for f, fs in fams.items() if is_held_out(fs) == held_out}
        t_files = t_files[t_files["file"].isin(keep)]
        t_values = t_values[t_values["file"].isin(keep)] if len(t_values) else t_values
        documents = documents[documents["source_path"].isin(keep)]
    truth = {(r.file, r.field_id): float(r.value) for r in t_values.itertuples()}
    paths: dict[str, list[str]] = {}
    for sha, path in zip(documents["source_file_sha256"], documents["source_path"]):
        paths.setdefault(sha, []).append(path)
    got: dict[tuple[str, str], float] = {}
    for r in values.itertuples():  # values are stored once per content hash: every copy states them
        for path in paths.get(r.source_file_sha256, []):
            got[(path, r.field_id)] = float(r.value)
    fam_rows = []
    by_fam: dict[str, set[str]] = {}
    for f, fs in fams.items():
        for fam in fs:
            by_fam.setdefault(fam, set()).add(f)
    for fam, members in sorted(by_fam.items()):
        t = [k for k in truth if k[0] in members]
        e = [k for k in got if k[0] in members]
        c = sum(1 for k in e if k in truth and abs(truth[k] - got[k]) <= TOLERANCE)
        if not t and not e and not any(m in set(t_files["file"]) for m in members):
            continue
        fam_rows.append({"family": fam, "held_out": fam in HELD_OUT, "files": len(members & set(t_files["file"])),
                         "truth": len(t), "extracted": len(e), "correct": c,
                         "recall": c / len(t) if t else None, "precision": c / len(e) if e else None})
    correct, wrong, spurious = 0, [], []
    for key, value in got.items():
        if key in truth:
            if abs(truth[key] - value) <= TOLERANCE:
                correct += 1
            else:
                wrong.append({"file": key[0], "field_id": key[1], "extracted": value, "truth": truth[key]})
        else:
            spurious.append({"file": key[0], "field_id": key[1], "extracted": value})
    missed = [{"file": k[0], "field_id": k[1], "truth": v} for k, v in truth.items() if k not in got]
    rows = []
    for fid in sorted({k[1] for k in truth} | {k[1] for k in got}):
        t = sum(1 for k in truth if k[1] == fid)
        e = sum(1 for k in got if k[1] == fid)
        c = sum(1 for k, v in got.items() if k[1] == fid and k in truth and abs(truth[k] - v) <= TOLERANCE)
        rows.append({"field_id": fid, "truth": t, "extracted": e, "correct": c,
                     "recall": c / t if t else None, "precision": c / e if e else None})
    statuses = dict(zip(documents["source_path"], documents["status"]))
    if inventory is not None:
        statuses.update(dict(zip(inventory["source_path"], inventory["status"])))
    mismatches = []
    for f in t_files.itertuples():
        expected = f.expected_status
        actual = statuses.get(f.file)
        if inventory is None and expected in ("duplicate", "superseded"):
            continue  # decided by the inventory, not by extraction of one file
        if actual != expected:
            mismatches.append({"file": f.file, "expected": expected, "actual": actual, "note": f.note})
    n_truth, n_ext = len(truth), len(got)
    return Evaluation(n_truth, n_ext, correct, correct / n_truth if n_truth else 1.0, correct / n_ext if n_ext else 1.0,
                      wrong, missed, spurious, mismatches, pd.DataFrame(rows),
                      pd.DataFrame(fam_rows, columns=["family", "held_out", "files", "truth", "extracted", "correct",
                                                      "recall", "precision"]))
