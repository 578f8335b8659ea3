"""Evaluate one country's model on its holdout slice and on the golden set (SPEC 6.5 metrics);
mlc decides the gates. There is no model registry in the dev setup, so no baseline metrics are
written and change conditions are skipped."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score

from .common import features_and_label, read_parquet_dir, step_config

config = step_config()
section = config["evaluate"]
with open(Path(section["model"]["path"]) / "model.pkl", "rb") as fh:
    model = pickle.load(fh)


def dataset_path(handle: dict) -> Path:
    if handle["kind"] == "artifact":
        return Path(handle["path"])
    path = Path(handle["uri"])  # a partitioned table: this item's partition
    if handle.get("partition"):
        path = path / f"{handle['partition']['column']}={handle['partition']['value']}"
    return path


candidate = {}
for name, handle in section["datasets"].items():
    x, y = features_and_label(read_parquet_dir(dataset_path(handle)))
    p = model.predict_proba(x)[:, 1]
    candidate[name] = {"roc_auc": float(roc_auc_score(y, p)),
                       "average_precision": float(average_precision_score(y, p)),
                       "neg_brier_score": -float(brier_score_loss(y, p))}
Path(config["outputs"]["metrics"]["path"]).write_text(json.dumps({"candidate": candidate}))
(Path(config["outputs"]["report"]["path"]) / "metrics.json").write_text(
    json.dumps(candidate, indent=2) + "\n")
print(f"{config['item']}: " + json.dumps(candidate))
