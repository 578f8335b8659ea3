"""Helpers shared by the churn steps."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd

FEATURES = ["tenure_days", "sessions", "late_payments"]
LABEL = "churned_30d"


def step_config() -> dict:
    return json.loads(Path(os.environ["MLC_STEP_CONFIG"]).read_text(encoding="utf-8"))


def read_parquet_dir(path: str | Path) -> pd.DataFrame:
    files = sorted(Path(path).rglob("*.parquet"))
    if not files:
        raise SystemExit(f"no parquet files under {path}")
    return pd.concat([pd.read_parquet(f) for f in files], ignore_index=True)


def features_and_label(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
    x = frame[FEATURES].astype(float)
    return x.fillna(x.median()), frame[LABEL].astype(int)
