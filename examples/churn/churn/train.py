"""Train one country's model for one trial of the sweep (SPEC 6.4): gradient boosting with the
trial's hyperparameters; writes the model and `val_roc_auc` on the validation slice."""

from __future__ import annotations

import argparse
import json
import pickle
from pathlib import Path

from sklearn.ensemble import GradientBoostingClassifier
from sklearn.metrics import roc_auc_score

from .common import features_and_label, read_parquet_dir

parser = argparse.ArgumentParser()
for flag in ("--train", "--validation", "--country", "--model-dir", "--metrics"):
    parser.add_argument(flag, required=True)
parser.add_argument("--learning-rate", type=float, required=True)
parser.add_argument("--max-depth", type=int, required=True)
parser.add_argument("--n-estimators", type=int, required=True)
parser.add_argument("--subsample", type=float, required=True)
args = parser.parse_args()

x, y = features_and_label(read_parquet_dir(args.train))
model = GradientBoostingClassifier(learning_rate=args.learning_rate, max_depth=args.max_depth,
                                   n_estimators=args.n_estimators, subsample=args.subsample,
                                   random_state=0).fit(x, y)
vx, vy = features_and_label(read_parquet_dir(args.validation))
auc = float(roc_auc_score(vy, model.predict_proba(vx)[:, 1]))
with open(Path(args.model_dir) / "model.pkl", "wb") as fh:
    pickle.dump(model, fh)
Path(args.metrics).write_text(json.dumps({"val_roc_auc": auc}))
print(f"{args.country}: {len(x)} training rows, validation ROC AUC {auc:.3f}")
