"""Write the dev data set of the churn example (deterministic, synthetic).

data/dev/churn.duckdb   the warehouse: CHURN_LABELS and the feature views customer_profile,
                        usage_30d, billing_90d (one row per customer and month)
data/dev/churn/golden/v7/country=XX/part-0.parquet   a labelled golden set per country

Churn depends on the features through a logistic model, so a model can learn it.
Usage: python scripts/make_dev_data.py [--customers 3000]
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

COUNTRIES = ["DE", "FR", "NO", "IT"]  # IT is not in the dev profile's partition.only
MONTHS = pd.date_range("2023-01-01", "2025-06-01", freq="MS")


def churn_probability(tenure, sessions, late, rng):
    logit = 1.2 - 0.004 * tenure - 0.09 * sessions + 0.8 * late + rng.normal(0, 0.3, len(tenure))
    return 1 / (1 + np.exp(-logit))


def customers(rng: np.random.Generator, n: int) -> pd.DataFrame:
    return pd.DataFrame({
        "customer_id": [f"c{i:05d}" for i in range(n)],
        "country": rng.choice(COUNTRIES, size=n, p=[0.35, 0.3, 0.2, 0.15]),
        "joined": rng.integers(0, 700, size=n),
        "activity": rng.gamma(2.0, 8.0, size=n),
        "risk": rng.beta(1.5, 6.0, size=n),
    })


def monthly_features(people: pd.DataFrame, rng: np.random.Generator) -> dict[str, pd.DataFrame]:
    rows = {"customer_profile": [], "usage_30d": [], "billing_90d": []}
    for month in MONTHS:
        ts = month + pd.Timedelta(days=1)
        tenure = people["joined"] + (month - MONTHS[0]).days
        sessions = rng.poisson(people["activity"])
        late = rng.binomial(3, people["risk"])
        for view, column, values in (("customer_profile", "tenure_days", tenure),
                                     ("usage_30d", "sessions", sessions),
                                     ("billing_90d", "late_payments", late)):
            rows[view].append(pd.DataFrame({"customer_id": people["customer_id"],
                                            "event_ts": ts, column: values}))
    return {view: pd.concat(frames, ignore_index=True) for view, frames in rows.items()}


def labels(people: pd.DataFrame, views: dict[str, pd.DataFrame],
           rng: np.random.Generator) -> pd.DataFrame:
    month = rng.integers(3, len(MONTHS), size=len(people))
    snapshot = pd.Series(MONTHS[month]) + pd.Timedelta(days=15)
    frame = pd.DataFrame({"customer_id": people["customer_id"], "country": people["country"],
                          "snapshot_ts": snapshot})
    joined = frame.copy()
    for view, column in (("customer_profile", "tenure_days"), ("usage_30d", "sessions"),
                         ("billing_90d", "late_payments")):
        data = views[view].sort_values("event_ts")
        joined = pd.merge_asof(joined.sort_values("snapshot_ts"), data, by="customer_id",
                               left_on="snapshot_ts", right_on="event_ts").drop(columns="event_ts")
    p = churn_probability(joined["tenure_days"].to_numpy(), joined["sessions"].to_numpy(),
                          joined["late_payments"].to_numpy(), rng)
    joined["churned_30d"] = (rng.random(len(p)) < p).astype(int)
    return joined


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--customers", type=int, default=3000)
    parser.add_argument("--out", default=str(Path(__file__).resolve().parent.parent / "data" / "dev"))
    args = parser.parse_args()
    out = Path(args.out)
    rng = np.random.default_rng(20261126)
    people = customers(rng, args.customers)
    views = monthly_features(people, rng)
    labelled = labels(people, views, rng)
    out.mkdir(parents=True, exist_ok=True)
    db_path = out / "churn.duckdb"
    db_path.unlink(missing_ok=True)
    with duckdb.connect(str(db_path)) as db:
        db.register("labels_df", labelled[["customer_id", "country", "snapshot_ts", "churned_30d"]])
        db.execute("CREATE TABLE CHURN_LABELS AS SELECT * FROM labels_df ORDER BY customer_id")
        for view, frame in views.items():
            db.register("view_df", frame)
            db.execute(f"CREATE TABLE {view} AS SELECT * FROM view_df ORDER BY customer_id, event_ts")
            db.unregister("view_df")
    golden_people = customers(np.random.default_rng(7), 1200)
    golden = labels(golden_people, monthly_features(golden_people, np.random.default_rng(8)),
                    np.random.default_rng(9))
    root = out / "churn" / "golden" / "v7"
    shutil.rmtree(root, ignore_errors=True)
    for country, part in golden.groupby("country"):
        target = root / f"country={country}"
        target.mkdir(parents=True)
        part.drop(columns=["country"]).reset_index(drop=True).to_parquet(target / "part-0.parquet")
    print(f"wrote {db_path} ({len(labelled)} labels) and {root} ({len(golden)} golden rows)")


if __name__ == "__main__":
    main()
