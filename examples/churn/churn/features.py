"""The features step: point-in-time join, time split and partitions, without a Feast server.

Implements what SPEC 6.3 asks of a features command: drop rows whose label is not yet
observable (snapshot later than as_of minus the label horizon), join each feature as of the
snapshot (values older than max_feature_age are missing), split by time (oldest to newest, a gap
apart), and write one `<by>=<value>` directory per partition into each split output, with the
JSON list of partitions in outputs.partitions.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import quote

import duckdb
import pandas as pd

from .common import step_config


def enc(value: str) -> str:
    """SPEC 6.1 item keys: percent-encode outside [A-Za-z0-9_.-] and a leading '.'."""
    text = quote(str(value), safe="_.-")
    return "%2E" + text[1:] if text.startswith(".") else text


def load(section: dict) -> pd.DataFrame:
    entities = section["entities"]
    pit = section["point_in_time"]
    as_of = pd.Timestamp(section["as_of"])
    horizon = pd.Timedelta(seconds=pit["label_horizon"])
    ts = pit["timestamp"]
    with duckdb.connect(entities["connection"]["path"], read_only=True) as db:
        frame = db.execute(f"SELECT * FROM {entities['identifier']} WHERE {ts} <= ?",
                           [as_of - horizon]).df()
        for feature in section["feature_store"]["features"]:
            view, column = feature.split(":")
            data = db.execute(f"SELECT {pit['entity_key']}, event_ts, {column} FROM {view}").df()
            frame = pd.merge_asof(frame.sort_values(ts), data.sort_values("event_ts"),
                                  by=pit["entity_key"], left_on=ts, right_on="event_ts")
            if pit.get("max_feature_age"):
                stale = frame[ts] - frame["event_ts"] > pd.Timedelta(seconds=pit["max_feature_age"])
                frame.loc[stale, column] = None
            frame = frame.drop(columns="event_ts")
    return frame


def split(frame: pd.DataFrame, ts: str, ratios: dict, gap_s: int) -> dict[str, pd.DataFrame]:
    frame = frame.sort_values(ts).reset_index(drop=True)
    gap = pd.Timedelta(seconds=gap_s)
    names = [n for n in ("train", "validation", "test") if n in ratios]
    out, start, cumulative = {}, frame[ts].min(), 0.0
    for i, name in enumerate(names):
        cumulative += ratios[name]
        end = frame[ts].quantile(cumulative) if i < len(names) - 1 else frame[ts].max()
        last = i == len(names) - 1
        part = frame[(frame[ts] >= start) & ((frame[ts] <= end) if last else (frame[ts] < end))]
        out[name] = part
        start = end + gap
    return out


def main() -> None:
    config = step_config()
    section = config["features"]
    outputs = config["outputs"]
    frame = load(section)
    part = section["partition"]
    by = part["by"]
    counts = frame[by].value_counts()
    values = sorted(v for v, n in counts.items() if n >= part["min_rows"]
                    and (part["only"] is None or v in part["only"]))
    for value in values:
        rows = frame[frame[by] == value].drop(columns=[by])
        pieces = split(rows, section["point_in_time"]["timestamp"], section["split"]["ratios"],
                       section["split"]["gap"])
        for name, piece in pieces.items():
            target = Path(outputs[name]["path"]) / f"{by}={enc(value)}"
            target.mkdir(parents=True, exist_ok=True)
            piece.reset_index(drop=True).to_parquet(target / "part-0.parquet")
        print(f"{by}={value}: " + ", ".join(f"{k} {len(v)}" for k, v in pieces.items()))
    Path(outputs["partitions"]["path"]).write_text(json.dumps(values))


if __name__ == "__main__":
    main()
