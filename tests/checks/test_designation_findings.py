"""A designation the log does not bear out: a VIP or Key client with fewer orders than a Regular one, a Lost client
without a Reason lost; and a Reason lost off the Settings list. Through ``xlcrm validate`` and the library."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from openpyxl import load_workbook

from tests.builders import settings_records
from tests.checks.test_validate import TODAY, Edit, build, check_single_finding, put, run
from xlcrm import schema
from xlcrm.jobs.validate import validate_workbook
from xlcrm.messages import render

ORDERS_OF_C000001 = (1, 3, 4)  # interactions of valid_records that are C000001's orders (all three in 2024)


def letter(key: str) -> str:
    """The Clients column of ``key`` in a workbook written by tests.builders (every schema column, in order)."""
    return "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[[c.key for c in schema.CLIENTS.columns].index(key)]


def drop_orders(count: int, locale: str = "en") -> Edit:
    """C000001's last ``count`` orders made calls: the VIP keeps 3 - ``count`` orders."""

    def edit(records: dict[str, list[dict[str, object]]]) -> None:
        for index in ORDERS_OF_C000001[len(ORDERS_OF_C000001) - count :]:
            records["interactions"][index]["type"] = schema.CALL_OUT.name(locale)

    return edit


def test_a_vip_with_as_many_orders_as_a_regular_client_is_no_finding(tmp_path: Path) -> None:
    # valid_records' VIP C000001 has three orders, regular_orders is 3.
    assert validate_workbook(build(tmp_path, []), today=TODAY).findings == []


def test_a_vip_with_one_order_less_than_a_regular_client_is_a_warning(tmp_path: Path) -> None:
    check_single_finding(
        build(tmp_path, [drop_orders(1)]),
        f'warning Clients!{letter("designation")}2  designation-without-orders  "VIP"  Designation VIP, yet only 2 '
        "orders so far: a client gets to 5 Regular once its orders reach 3 (Orders to become Regular on sheet "
        "Settings)",
    )


def test_an_order_dated_after_today_does_not_count(tmp_path: Path) -> None:
    path = build(tmp_path, [put("interactions", 4, "date", TODAY + dt.timedelta(days=1))])
    [finding] = validate_workbook(path, today=TODAY).findings
    assert (finding.code.value, str(finding.message).split(":")[0]) == (
        "designation-without-orders",
        "Designation VIP, yet only 2 orders so far",
    )
    # On its day it counts.
    assert validate_workbook(path, today=TODAY + dt.timedelta(days=1)).findings == []


def test_the_threshold_is_the_regular_orders_setting(tmp_path: Path) -> None:
    def raise_threshold(records: dict[str, list[dict[str, object]]]) -> None:
        records["settings"] = settings_records("en", {"managers": ["Anna", "Boris"]}, {"regular_orders": 4})

    [finding] = validate_workbook(build(tmp_path, [raise_threshold]), today=TODAY).findings
    assert finding.code.value == "designation-without-orders"
    assert "yet only 3 orders so far" in str(finding.message) and "once its orders reach 4" in str(finding.message)


def test_a_key_client_without_a_single_order_in_russian(tmp_path: Path) -> None:
    # C000002 has an agreement and no order.
    path = build(tmp_path, [put("clients", 1, "designation", schema.KEY_ACCOUNT.ru)], locale="ru")
    result = run(path, "--json")
    assert result.exit_code == 0  # a warning
    findings = json.loads(result.output)["findings"]
    assert [(f["severity"], f["code"], f["cell"], f["value"], f["message"]) for f in findings] == [
        (
            "warning",
            "designation-without-orders",
            f"Клиенты!{letter('designation')}3",
            "Ключевой",
            "Статус «Ключевой», но у клиента нет ни одного заказа: в блок «5 Постоянные» клиент попадает, когда "
            "заказов не меньше 3 (настройка «Заказов до Постоянного» на листе Настройки)",
        )
    ]


def test_one_order_in_russian_takes_the_singular(tmp_path: Path) -> None:
    [finding] = validate_workbook(build(tmp_path, [drop_orders(2, "ru")], locale="ru"), today=TODAY).findings
    assert render(finding.message, "ru").startswith("Статус «VIP», но у клиента всего 1 заказ: ")


def test_no_finding_when_the_orders_cannot_be_counted(tmp_path: Path) -> None:
    """Without Interactions there is nothing to count: the missing sheet is the finding, not the VIP."""

    def no_log(records: dict[str, list[dict[str, object]]]) -> None:
        del records["interactions"]

    codes = {f.code.value for f in validate_workbook(build(tmp_path, [no_log]), today=TODAY).findings}
    assert codes == {"missing-sheet"}


def test_a_lost_client_without_a_reason_is_a_warning_at_its_reason_cell(tmp_path: Path) -> None:
    check_single_finding(
        build(tmp_path, [put("clients", 1, "designation", "Lost")]),
        f"warning Clients!{letter('lost_reason')}3  lost-without-reason  Lost with no Reason lost: choose why the "
        "client left (the list is Reasons lost on sheet Settings), so that ▸ Dashboard counts the reasons",
    )


def test_a_lost_client_with_a_reason_from_the_list_is_no_finding(tmp_path: Path) -> None:
    reason = schema.DEFAULT_LOST_REASONS[0].name("ru")
    edits = [put("clients", 1, "designation", schema.LOST.ru), put("clients", 1, "lost_reason", reason)]
    assert validate_workbook(build(tmp_path, edits, locale="ru"), today=TODAY).findings == []


def test_a_lost_client_without_a_reason_in_russian(tmp_path: Path) -> None:
    path = build(tmp_path, [put("clients", 1, "designation", schema.LOST.ru)], locale="ru")
    [finding] = json.loads(run(path, "--json").output)["findings"]
    assert (finding["code"], finding["cell"], finding["message"]) == (
        "lost-without-reason",
        f"Клиенты!{letter('lost_reason')}3",
        "клиент со статусом «Потерян», но «Причина ухода» не заполнена: выберите, почему клиент ушёл (список "
        "«Причины ухода» на листе Настройки), чтобы на листе ▸ Сводка причины были посчитаны",
    )


def test_without_a_reason_lost_column_no_lost_client_is_a_finding(tmp_path: Path) -> None:
    """A workbook made before the Reason lost column: its Lost clients have no cell to fill, so none is said."""
    path = build(tmp_path, [put("clients", 1, "designation", "Lost")])
    book = load_workbook(path)
    book["Clients"].delete_cols(schema.CLIENTS.columns.index(schema.CLIENTS.column("lost_reason")) + 1)
    book.save(path)
    codes = [f.code.value for f in validate_workbook(path, today=TODAY).findings]
    assert "lost-without-reason" not in codes and len(codes) <= 1  # at most that the column is missing
    # With the column, the same client is a finding.
    with_column = build(tmp_path, [put("clients", 1, "designation", "Lost")], name="with.xlsx")
    assert [f.code.value for f in validate_workbook(with_column, today=TODAY).findings] == ["lost-without-reason"]


def test_a_reason_lost_off_the_settings_list_is_a_warning(tmp_path: Path) -> None:
    edits = [put("clients", 1, "designation", "Lost"), put("clients", 1, "lost_reason", "Moved to Mars")]
    path = build(tmp_path, edits)
    result = run(path)
    assert result.exit_code == 0
    [finding] = validate_workbook(path, today=TODAY).findings
    assert (finding.severity.value, finding.code.value, finding.cell, finding.value) == (
        "warning",
        "not-in-list",
        f"Clients!{letter('lost_reason')}3",
        "Moved to Mars",
    )
    assert str(finding.message).startswith("not in the Reasons lost list on sheet Settings: ")


def test_a_reason_lost_from_the_owners_own_list_is_no_finding(tmp_path: Path) -> None:
    def own_list(records: dict[str, list[dict[str, object]]]) -> None:
        records["settings"] = settings_records(
            "en", {"managers": ["Anna", "Boris"], "lost_reasons": ["Moved to Mars", "Too dear"]}
        )

    edits: list[Edit] = [
        own_list,
        put("clients", 1, "designation", "Lost"),
        put("clients", 1, "lost_reason", "too dear"),
    ]
    assert validate_workbook(build(tmp_path, edits), today=TODAY).findings == []
    edits[-1] = put("clients", 1, "lost_reason", schema.DEFAULT_LOST_REASONS[0].en)  # a default, no longer listed
    assert [f.code.value for f in validate_workbook(build(tmp_path, edits, name="b.xlsx"), today=TODAY).findings] == [
        "not-in-list"
    ]


def test_a_designated_client_without_a_client_id_has_no_orders_to_count(tmp_path: Path) -> None:
    # C000002 made a Key client without its ClientID: no interaction can be its order. The VIP C000001 beside it
    # keeps its three orders, so the only designation finding is C000002's row.
    path = build(
        tmp_path, [put("clients", 1, "designation", schema.KEY_ACCOUNT.en), put("clients", 1, "client_id", None)]
    )
    findings = [
        f for f in validate_workbook(path, today=TODAY).findings if f.code.value == "designation-without-orders"
    ]
    assert [(f.cell, str(f.message).split(":")[0]) for f in findings] == [
        (f"Clients!{letter('designation')}3", "Designation Key without a single order")
    ]
