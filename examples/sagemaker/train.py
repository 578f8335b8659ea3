"""Train one trial of the sweep: logistic regression with inverse regularisation C (mlc.yaml).

Writes the model to --model and {"accuracy": ...} (on the training rows) to --metrics, which is
what mlc's select-best reads to pick the trial (objective: accuracy, maximize).
"""

import argparse
import json
import pickle
from pathlib import Path

import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score

FEATURES = ["sepal_length", "sepal_width", "petal_length", "petal_width"]

parser = argparse.ArgumentParser()
parser.add_argument("--data", required=True, help="the training CSV (a path or an s3:// URI)")
parser.add_argument("--c", type=float, required=True, help="inverse regularisation strength")
parser.add_argument("--model", required=True, help="a directory to write the model into")
parser.add_argument("--metrics", required=True, help="a file to write the trial's metrics to")
args = parser.parse_args()

frame = pd.read_csv(args.data)
model = LogisticRegression(C=args.c, max_iter=1000)
accuracy = float(cross_val_score(model, frame[FEATURES], frame["species"], cv=3).mean())
model.fit(frame[FEATURES], frame["species"])
Path(args.model).mkdir(parents=True, exist_ok=True)
with open(Path(args.model) / "model.pkl", "wb") as fh:
    pickle.dump(model, fh)
Path(args.metrics).write_text(json.dumps({"accuracy": accuracy}))
print(f"C={args.c}: cross-validated accuracy {accuracy:.3f}")
