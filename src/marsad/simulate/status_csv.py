"""Writes the exact suspension times of the simulated X accounts as a status CSV.

Part of the simulate stage (outside the flow: the file goes through the real
``status-csv`` ingest adapter, :mod:`marsad.ingest.status`, as ``marsad
status FILE`` reads it).  Written only when ``SimConfig.suspension_times_known``:
a study usually learns of a suspension from a users lookup days or weeks
later, but sometimes has the exact times (a platform's own log, a takedown
list).  One row per X account suspended within the period, in time order::

    account_id,status,observed_at,evidence,platform
    2901234567,suspended,2015-01-03T04:05:06Z,suspension time from the platform,x

The lookups are written as usual besides; the store keeps every status event.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from marsad.simulate.population import Population

__all__ = ["FILE", "FORMAT", "write_status_csv"]

#: where the file goes, relative to the simulation's folder
FILE = "status/suspensions.csv"
#: the ingest adapter that reads it
FORMAT = "status-csv"
#: what the evidence column says
_EVIDENCE = "suspension time from the platform"


def write_status_csv(out_dir: Path, pop: Population, end: int) -> Path:
    """Write :data:`FILE` under *out_dir* for the accounts suspended before *end*."""
    path = out_dir / FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    gone = np.flatnonzero(pop.suspended < end)
    order = gone[np.lexsort((pop.ids[gone], pop.suspended[gone]))]
    times = np.datetime_as_string(pop.suspended[order].astype("datetime64[s]"), unit="s")
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(("account_id", "status", "observed_at", "evidence", "platform"))
        for a, t in zip(order.tolist(), times.tolist(), strict=True):
            w.writerow((pop.id_str[a], "suspended", t + "Z", _EVIDENCE, "x"))
    return path
