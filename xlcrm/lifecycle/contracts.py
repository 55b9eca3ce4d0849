"""Contracts in force: each contract's term with its annexes, how many each client has in force, and which end soon.

The rules, over the Contracts sheet as :attr:`xlcrm.lifecycle.frames.Frames.contracts` holds it:

- **Contracts and annexes.** A row with a Parent contract is an annex; it is never counted as a contract of its
  own. An annex that counts (below) and has a Valid until later than its contract's term extends that term: a
  contract runs until the latest Valid until of itself and of its annexes, so a signed extension puts the reminder
  off. An annex of an annex extends the contract at the top of its chain. An annex changes nothing when its Valid
  until is blank, when its chain leads to no contract (a missing ContractID, or a loop: validation reports them),
  and for a contract with a blank Valid until, which runs open-ended whatever its annexes say. Where a ContractID
  is on more than one contract, annexes extend its first row (validation reports the repeated ID).
- **What counts.** A contract or annex counts when its Status is Active or blank; Draft, Closed and a status typed
  that is not on the list do not.
- **In force** on a day: it counts, its Valid from is blank or on or before that day, and its term's end is blank
  or on or after it (the last day of the term is a day in force). A contract dated to start after it ends is
  never in force (validation reports the dates); a contract of a ClientID that is not on Clients counts for no
  client.
- **Reminders** (``days`` is the Setting ``contract_end_days``): a contract in force whose term ends within
  ``days`` days (0, its last day, to ``days``) is *ending*; a contract that still counts (Active or blank) but
  whose term ended 1 to ``days`` days ago is *expired*: the client works without a contract, or the contract was
  not marked Closed. After that it is left alone: a contract left Active for months is a record to tidy, not a
  task for every day. Lost and Dead clients keep their reminders: their contracts end all the same.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from xlcrm import schema

# The columns of :func:`contract_terms`.
TERM_COLUMNS = ("client_id", "contract_id", "number", "subject", "valid_from", "ends", "counts")
# Reminder kinds of :func:`contract_reminders`.
ENDING = "ending"
EXPIRED = "expired"


def contract_terms(contracts: pd.DataFrame) -> pd.DataFrame:
    """One row per contract (annexes left out), indexed by its Excel row, with ``TERM_COLUMNS``: ``ends`` is the
    last day of its term with its annexes (NaT: open-ended), ``counts`` whether its status is Active or blank."""
    counts = _counts(contracts)
    is_annex = contracts["parent_id"].notna().to_numpy()
    main = contracts[~is_annex]
    annexes = contracts[is_annex]
    main_ids = main["contract_id"].dropna()
    row_of_id = pd.Series(main_ids.index, index=main_ids.to_numpy())
    row_of_id = row_of_id[~row_of_id.index.duplicated()]
    extending = annexes[counts[is_annex] & annexes["valid_until"].notna().to_numpy()]
    contract_rows = _top_contracts(extending["parent_id"], annexes, row_of_id).dropna().astype(int)
    latest = extending["valid_until"].reindex(contract_rows.index).groupby(contract_rows.to_numpy()).max()
    own_end = main["valid_until"]
    with_annexes = pd.concat([own_end, latest.reindex(main.index)], axis=1).max(axis=1)
    ends = with_annexes.where(own_end.notna())
    terms: pd.DataFrame = pd.DataFrame(
        {
            "client_id": main["client_id"],
            "contract_id": main["contract_id"],
            "number": main["number"],
            "subject": main["subject"],
            "valid_from": main["valid_from"],
            "ends": ends.astype("datetime64[ns]"),
            "counts": counts[~is_annex],
        },
        index=main.index,
        columns=list(TERM_COLUMNS),
    )
    return terms


def _counts(contracts: pd.DataFrame) -> np.ndarray:
    """Whether each row's status is Active or blank (a status typed that is not on the list does not count)."""
    counts: np.ndarray = (
        (contracts["status"] == schema.CONTRACT_ACTIVE.key) | contracts["status_text"].isna()
    ).to_numpy(dtype=bool)
    return counts


def _top_contracts(parents: pd.Series, annexes: pd.DataFrame, row_of_id: pd.Series) -> pd.Series:
    """The Excel row of the contract each of ``parents`` leads to, climbing through annexes of annexes (NaN when
    the chain leads to no contract or loops)."""
    annex_ids = annexes.dropna(subset=["contract_id"])
    annex_ids = annex_ids[~annex_ids["contract_id"].isin(row_of_id.index)]
    parent_of = annex_ids.drop_duplicates("contract_id").set_index("contract_id")["parent_id"]
    top = parents.copy()
    for _ in range(len(parent_of)):  # a chain without a loop is at most this long
        climbing = top.isin(parent_of.index)
        if not climbing.any():
            break
        top[climbing] = top[climbing].map(parent_of)
    rows: pd.Series = top.map(row_of_id)
    return rows


def in_force(terms: pd.DataFrame, today: dt.date) -> np.ndarray:
    """Whether each contract of ``terms`` (:func:`contract_terms`) is in force on ``today``."""
    now = pd.Timestamp(today)
    started = terms["valid_from"].isna() | (terms["valid_from"] <= now)
    running = terms["ends"].isna() | (terms["ends"] >= now)
    live: np.ndarray = (terms["counts"] & started & running).to_numpy(dtype=bool)
    return live


def client_contracts(terms: pd.DataFrame, client_ids: pd.Index, today: dt.date) -> pd.DataFrame:
    """Per client of ``client_ids`` (in that order): ``active_contracts``, how many contracts are in force on
    ``today`` (0 for none), and ``contract_ends``, the nearest end of their terms (NaT when none is in force or
    every one is open-ended)."""
    live = terms[in_force(terms, today)]
    grouped = live.groupby("client_id")
    figures: pd.DataFrame = pd.DataFrame(
        {
            "active_contracts": grouped.size().reindex(client_ids, fill_value=0).to_numpy(dtype=int),
            "contract_ends": grouped["ends"].min().reindex(client_ids).to_numpy(dtype="datetime64[ns]"),
        },
        index=client_ids,
    )
    return figures


def contract_reminders(terms: pd.DataFrame, today: dt.date, days: int) -> pd.DataFrame:
    """The contracts to remind of on ``today``: those of ``terms`` ending within ``days`` days (``kind`` ENDING)
    or that ended 1 to ``days`` days ago while still Active (``kind`` EXPIRED), with ``TERM_COLUMNS``, ``kind``
    and ``days_left`` (0 on the term's last day, below 0 once it ended), by client and end."""
    now = pd.Timestamp(today)
    left = (terms["ends"] - now).dt.days
    ending = in_force(terms, today) & (left <= days).to_numpy(dtype=bool)
    started = terms["valid_from"].isna() | (terms["valid_from"] <= terms["ends"])
    expired = (terms["counts"] & started & (left < 0) & (left >= -days)).to_numpy(dtype=bool)
    chosen = terms[ending | expired].assign(
        kind=np.where(ending, ENDING, EXPIRED)[ending | expired], days_left=left[ending | expired].astype(int)
    )
    reminders: pd.DataFrame = chosen.sort_values(["client_id", "ends"], kind="stable")
    return reminders
