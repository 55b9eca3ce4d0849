"""The order of managers in the report sheets' tables does not depend on the run."""

from __future__ import annotations

import json
import os
import subprocess
import sys

# Managers missing from the Settings list, typed three ways that xlcrm's header and name folding makes alike.
_PROGRAM = """
import json, types
from xlcrm.reports.period import manager_order
lifecycle = types.SimpleNamespace(settings=types.SimpleNamespace(managers=["Анна Соколова"]))
names = ["олег кузнецов", "ОЛЕГ КУЗНЕЦОВ", "Анна Соколова", "Олёг Кузнёцов", "Борис Ким", "Олег Кузнецов"]
print(json.dumps(manager_order(lifecycle, names, "ru")))
"""


def _order_with_hash_seed(seed: int) -> list[str]:
    environment = {**os.environ, "PYTHONHASHSEED": str(seed)}
    done = subprocess.run([sys.executable, "-c", _PROGRAM], env=environment, capture_output=True, text=True, check=True)
    order: list[str] = json.loads(done.stdout)
    return order


def test_managers_folding_alike_keep_one_order_in_every_run() -> None:
    # Python orders a set of texts by their hashes, which change from run to run: three runs, three hash seeds.
    orders = [_order_with_hash_seed(seed) for seed in (1, 2, 3)]
    assert orders[0] == orders[1] == orders[2]
    assert orders[0][0] == "Анна Соколова"  # the Settings list first
    assert orders[0][1] == "Борис Ким"
    assert sorted(orders[0][2:]) == sorted(["олег кузнецов", "ОЛЕГ КУЗНЕЦОВ", "Олёг Кузнёцов", "Олег Кузнецов"])
