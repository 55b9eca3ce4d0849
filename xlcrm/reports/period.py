"""The reporting period and the figures that several report sheets share: sales in the period, who logged an
interaction, the order managers are listed in, how a month is labelled."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from xlcrm import schema
from xlcrm.lifecycle.blocks import Lifecycle

PERIOD_MONTHS = 12


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date

    @classmethod
    def ending(cls, today: dt.date) -> Period:
        """The reporting period: the last PERIOD_MONTHS calendar months up to ``today``."""
        months_back = PERIOD_MONTHS - 1
        year, month = divmod(today.year * 12 + today.month - 1 - months_back, 12)
        return cls(dt.date(year, month + 1, 1), today)

    def months(self) -> list[pd.Period]:
        """The calendar months of the period, oldest first."""
        return list(pd.period_range(self.start, self.end, freq="M"))


def period_sales(lifecycle: Lifecycle, period: Period) -> pd.DataFrame:
    """Orders and returns dated within the period, with ``is_order`` telling the orders.

    Revenue is the sum of their amounts (a return's is negative, however it was typed: see ``build_frames``);
    orders are counted by ``is_order``.
    """
    log = lifecycle.interactions
    dates = log["date"]
    inside = (dates >= pd.Timestamp(period.start)) & (dates <= pd.Timestamp(period.end))
    sales: pd.DataFrame = log[log["type"].isin([t.key for t in schema.REVENUE_TYPES]) & inside]
    marked: pd.DataFrame = sales.assign(is_order=sales["type"] == schema.ORDER.key)
    return marked


def acting_manager(log: pd.DataFrame, lifecycle: Lifecycle, locale: str) -> pd.Series:
    """Who logged each interaction: its Manager cell, else the client's manager."""
    fallback = lifecycle.clients["manager"].reindex(log["client_id"]).to_numpy()
    managers: pd.Series = (
        log["manager"].where(log["manager"].notna(), fallback).fillna(schema.label("no_manager", locale))
    )
    return managers


def month_label(month: pd.Period, today: dt.date, locale: str) -> str:
    """``2026-10``; the month of ``today``, when it has days left, says so: ``2026-11 (to 23.11)``."""
    if month.end_time.date() > today >= month.start_time.date():
        return schema.label("month_so_far", locale).format(month=month, day=f"{today:%d.%m}")
    return str(month)


def manager_order(lifecycle: Lifecycle, names: Sequence[str], locale: str) -> list[str]:
    """Managers of the Settings list first, in its order, then the others alphabetically, "(no manager)" last."""
    present = set(names)
    listed = [m for m in lifecycle.settings.managers if m in present]
    nobody = schema.label("no_manager", locale)
    # Names that fold alike ("Олег", "ОЛЕГ") are ordered as typed, not as the set happens to hold them.
    others = sorted(present - set(listed) - {nobody}, key=lambda name: (schema.fold(name), name))
    return listed + others + ([nobody] if nobody in present else [])
