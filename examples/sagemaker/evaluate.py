"""Evaluate the model on the held-out CSV; mlc decides the gates from the metrics written.

Everything comes from the step config (the JSON file at $MLC_STEP_CONFIG, SPEC 6.2): where the
model is, which datasets to score, which metrics to compute and where to write them.
"""

import json
import os
import pickle
from pathlib import Path

import pandas as pd
from sklearn.metrics import accuracy_score

config = json.loads(Path(os.environ["MLC_STEP_CONFIG"]).read_text())
section = config["evaluate"]
with open(Path(section["model"]["path"]) / "model.pkl", "rb") as fh:
    model = pickle.load(fh)

candidate = {}
for name, handle in section["datasets"].items():
    frame = pd.read_csv(handle["uri"])
    predicted = model.predict(frame[model.feature_names_in_])
    candidate[name] = {"accuracy": float(accuracy_score(frame["species"], predicted))}

Path(config["outputs"]["metrics"]["path"]).write_text(json.dumps({"candidate": candidate}))
report = Path(config["outputs"]["report"]["path"])
(report / "summary.txt").write_text(json.dumps(candidate, indent=2) + "\n")
print(json.dumps(candidate))
