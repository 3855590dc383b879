"""Labels, columns and number formats that several census sections share.

Part of the *census* stage (:mod:`marsad.census.sections`): every title and
column is labelled in each report language (:data:`marsad.census.result.LANGS`);
percentages are 0-100 with two decimals.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from marsad.census.result import Column, Label

__all__ = [
    "C_ACCOUNTS",
    "C_DAY",
    "C_PERIOD",
    "C_POSTS",
    "C_SHARE",
    "L",
    "iso_date",
    "pct",
    "rounded",
]


def L(en: str, ar: str) -> Label:  # noqa: N802 - reads like a literal
    return {"en": en, "ar": ar}


C_PERIOD = {
    "month": Column("period", L("Month", "الشهر"), "month"),
    "week": Column("period", L("Week", "الأسبوع"), "week"),
}
C_DAY = Column("day", L("Day", "اليوم"), "date")
C_POSTS = Column("posts", L("Posts", "المنشورات"), "count")
C_ACCOUNTS = Column("accounts", L("Accounts", "الحسابات"), "count")
C_SHARE = Column("share", L("Share", "النسبة"), "percent")


def pct(part: float | None, whole: float | None) -> float | None:
    if not whole or part is None:
        return None
    return round(100.0 * part / whole, 2)


def rounded(value: Any, digits: int = 2) -> Any:
    return round(float(value), digits) if isinstance(value, int | float) else value


def iso_date(value: Any) -> str | None:
    return value.date().isoformat() if isinstance(value, datetime) else None
