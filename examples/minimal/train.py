"""Train a classifier on the iris training CSV (called by mlc: see mlc.yaml)."""

import argparse
import pickle
from pathlib import Path

import pandas as pd
from sklearn.linear_model import LogisticRegression

FEATURES = ["sepal_length", "sepal_width", "petal_length", "petal_width"]

parser = argparse.ArgumentParser()
parser.add_argument("--data", required=True, help="the training CSV")
parser.add_argument("--model", required=True, help="a directory to write the model into")
args = parser.parse_args()

frame = pd.read_csv(args.data)
model = LogisticRegression(max_iter=1000).fit(frame[FEATURES], frame["species"])
with open(Path(args.model) / "model.pkl", "wb") as fh:
    pickle.dump(model, fh)
print(f"trained on {len(frame)} rows; training accuracy "
      f"{model.score(frame[FEATURES], frame['species']):.3f}")
