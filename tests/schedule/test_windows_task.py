"""xlcrm schedule on Windows: the Task Scheduler definition (read back with lxml against the shape of the task
schema), the exact schtasks command lines, and schtasks run for real as a stand-in that keeps what it was given."""

from __future__ import annotations

import ctypes
import datetime as dt
import locale
import os
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path, PureWindowsPath

import pytest
from lxml import etree

from xlcrm.errors import UsageError
from xlcrm.jobs import schedule
from xlcrm.jobs.init import create_template
from xlcrm.messages import speaking

NS = {"t": schedule.TASK_NAMESPACE}
WORKBOOK = PureWindowsPath(r"S:\Общая папка\Клиенты 2026.xlsx")
PYTHON = r"C:\Program Files\Python311\python.exe"
TODAY = dt.date(2026, 12, 2)
SAFE_PATH = ["-P"] if sys.version_info >= (3, 11) else []

# The elements of the task schema (1.2) the definition may hold, by parent; anything else would be refused.
ALLOWED = {
    "Task": {"RegistrationInfo", "Triggers", "Principals", "Settings", "Actions"},
    "RegistrationInfo": {"Date", "Author", "Description", "URI", "Version", "Source", "Documentation"},
    "CalendarTrigger": {"StartBoundary", "EndBoundary", "Enabled", "ScheduleByDay", "ExecutionTimeLimit"},
    "Principal": {"UserId", "LogonType", "RunLevel", "GroupId", "DisplayName"},
    "Settings": {
        "MultipleInstancesPolicy",
        "DisallowStartIfOnBatteries",
        "StopIfGoingOnBatteries",
        "AllowHardTerminate",
        "StartWhenAvailable",
        "RunOnlyIfNetworkAvailable",
        "IdleSettings",
        "AllowStartOnDemand",
        "Enabled",
        "Hidden",
        "RunOnlyIfIdle",
        "WakeToRun",
        "ExecutionTimeLimit",
        "Priority",
    },
    "Exec": {"Command", "Arguments", "WorkingDirectory"},
}


# The folder of the shared tests without its %: Task Scheduler cannot be given a path with one (see below).
WINDOWS_FOLDER = "Общая папка «О'Нил» 100 процентов"


@pytest.fixture
def workbook(tmp_path: Path) -> Path:
    """A new Russian workbook in a folder whose name needs quoting, but has no % (refused for a task)."""
    folder = tmp_path / WINDOWS_FOLDER
    folder.mkdir()
    path = folder / "Клиенты.xlsx"
    create_template(path, "ru")
    return path


def windows_schedule(at: dt.time = dt.time(7, 30), language: str = "ru") -> schedule.Schedule:
    return schedule.make_schedule(WORKBOOK, at, platform="windows", executable=PYTHON, language=language)


def parsed(xml: str) -> etree._Element:
    """The definition as schtasks reads it: the UTF-16 bytes xlcrm writes, encoding declaration and all."""
    data = xml.encode("utf-16")
    assert data[:2] == b"\xff\xfe"  # with its byte order mark, as schtasks wants
    return etree.fromstring(data)


def text(root: etree._Element, path: str) -> str:
    found = root.findall(path, NS)
    assert len(found) == 1, path
    return found[0].text or ""


def local(element: etree._Element) -> str:
    return etree.QName(element).localname


def test_the_task_definition_has_the_shape_of_the_task_schema() -> None:
    root = parsed(schedule.task_xml(windows_schedule(), today=TODAY))

    assert root.tag == f"{{{schedule.TASK_NAMESPACE}}}Task"
    assert root.get("version") == "1.2"
    for element in root.iter(etree.Element):
        assert etree.QName(element).namespace == schedule.TASK_NAMESPACE
        if local(element) in ALLOWED:
            assert {local(child) for child in element} <= ALLOWED[local(element)], local(element)
    assert [local(child) for child in root] == ["RegistrationInfo", "Triggers", "Principals", "Settings", "Actions"]
    assert text(root, "t:RegistrationInfo/t:URI") == "\\" + windows_schedule().name
    assert "Клиенты 2026.xlsx" in text(root, "t:RegistrationInfo/t:Description")
    # daily at 07:30, local time (no zone: the computer's clock)
    assert text(root, "t:Triggers/t:CalendarTrigger/t:StartBoundary") == "2026-12-02T07:30:00"
    assert text(root, "t:Triggers/t:CalendarTrigger/t:ScheduleByDay/t:DaysInterval") == "1"
    assert text(root, "t:Triggers/t:CalendarTrigger/t:Enabled") == "true"
    # only while the user is logged on: the task then reaches the user's network drive
    assert text(root, "t:Principals/t:Principal/t:LogonType") == "InteractiveToken"
    assert root.find("t:Principals/t:Principal/t:UserId", NS) is None  # the user who registers it
    (principal,) = root.findall("t:Principals/t:Principal", NS)
    (actions,) = root.findall("t:Actions", NS)
    assert actions.get("Context") == principal.get("id")
    assert text(root, "t:Settings/t:MultipleInstancesPolicy") == "IgnoreNew"
    assert text(root, "t:Settings/t:StartWhenAvailable") == "true"
    assert text(root, "t:Settings/t:ExecutionTimeLimit") == "PT2H"
    assert text(root, "t:Settings/t:DisallowStartIfOnBatteries") == "false"
    assert text(root, "t:Actions/t:Exec/t:Command") == PYTHON
    assert text(root, "t:Actions/t:Exec/t:Arguments") == " ".join(
        [*SAFE_PATH, "-m xlcrm --lang ru schedule --run", '"S:\\Общая папка\\Клиенты 2026.xlsx"', "--command refresh"]
    )
    assert text(root, "t:Actions/t:Exec/t:WorkingDirectory") == r"S:\Общая папка"


def test_the_arguments_are_quoted_as_windows_programs_read_them() -> None:
    """A path ending in a backslash-quote or holding a quote-like character comes back whole when split with the
    rules of the Microsoft C runtime (which subprocess.list2cmdline writes)."""
    odd = schedule.make_schedule(
        PureWindowsPath(r"\\server\общий ресурс\A & B ^ %TEMP%\Клиенты.xlsx"),
        dt.time(6, 0),
        platform="windows",
        executable=PYTHON,
    )
    root = parsed(schedule.task_xml(odd, today=TODAY))
    arguments = text(root, "t:Actions/t:Exec/t:Arguments")
    assert arguments == subprocess.list2cmdline(odd.arguments)
    assert '"\\\\server\\общий ресурс\\A & B ^ %TEMP%\\Клиенты.xlsx"' in arguments
    assert text(root, "t:Triggers/t:CalendarTrigger/t:StartBoundary") == "2026-12-02T06:00:00"


def test_xml_special_characters_are_escaped() -> None:
    odd = schedule.make_schedule(
        PureWindowsPath(r"C:\<Клиенты> & «партнёры»\base.xlsx"), dt.time(7, 30), platform="windows", executable=PYTHON
    )
    root = parsed(schedule.task_xml(odd, today=TODAY))
    assert text(root, "t:Actions/t:Exec/t:WorkingDirectory") == r"C:\<Клиенты> & «партнёры»"


def test_the_description_is_in_the_language_of_the_run() -> None:
    with speaking("ru"):
        root = parsed(schedule.task_xml(windows_schedule(), today=TODAY))
    assert text(root, "t:RegistrationInfo/t:Description") == (
        "xlcrm refresh для S:\\Общая папка\\Клиенты 2026.xlsx каждый день в 07:30"
    )


def test_the_schtasks_command_lines() -> None:
    plan = windows_schedule()
    xml_file = PureWindowsPath(r"C:\Users\Анна\AppData\Local\Temp") / f"{plan.name}.xml"

    assert subprocess.list2cmdline(schedule.schtasks_create(plan, xml_file)) == (
        f"schtasks /Create /TN {plan.name} /XML C:\\Users\\Анна\\AppData\\Local\\Temp\\{plan.name}.xml /F"
    )
    assert subprocess.list2cmdline(schedule.schtasks_delete(plan.name)) == f"schtasks /Delete /TN {plan.name} /F"
    assert subprocess.list2cmdline(schedule.schtasks_query(plan.name)) == f"schtasks /Query /TN {plan.name}"


def test_print_shows_the_definition_and_the_command_line(
    workbook: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "Temp folder"))
    shown = schedule.install_schedule(
        workbook, "07:30", platform="windows", executable=PYTHON, dry_run=True, today=TODAY
    )
    name = shown.schedule.name
    assert shown.command_line == f'schtasks /Create /TN {name} /XML "{tmp_path}/Temp folder/{name}.xml" /F'
    assert shown.task_xml is not None
    assert text(parsed(shown.task_xml), "t:Actions/t:Exec/t:Command") == PYTHON
    assert not (tmp_path / "Temp folder").exists()


def fake_schtasks(folder: Path, monkeypatch: pytest.MonkeyPatch, *, status: int = 0, says: str = "") -> Path:
    """A stand-in ``schtasks`` first on PATH: writes its arguments, one a line, to ``calls.txt`` and copies the
    file after /XML to ``task.xml``; exits ``status`` after saying ``says`` on stderr."""
    folder.mkdir(exist_ok=True)
    program = folder / "schtasks"
    calls = folder / "calls.txt"
    program.write_text(
        "#!/bin/sh\n"
        f'for arg in "$@"; do printf "%s\\n" "$arg" >> {shlex.quote(str(calls))}; done\n'
        f"echo --- >> {shlex.quote(str(calls))}\n"
        "while [ $# -gt 0 ]; do\n"
        f'  if [ "$1" = /XML ]; then cp "$2" {shlex.quote(str(folder / "task.xml"))}; fi\n'
        "  shift\n"
        "done\n"
        f"[ -n {shlex.quote(says)} ] && echo {shlex.quote(says)} >&2\n"
        f"exit {status}\n"
    )
    program.chmod(0o755)
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ['PATH']}")
    return calls


def test_install_runs_schtasks_with_the_definition_in_utf16(
    workbook: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    calls = fake_schtasks(tmp_path / "bin", monkeypatch)

    installed = schedule.install_schedule(workbook, "07:30", platform="windows", executable=PYTHON, today=TODAY)

    name = installed.schedule.name
    xml_file = tmp_path / f"{name}.xml"
    assert calls.read_text().split("---\n")[0].splitlines() == ["/Create", "/TN", name, "/XML", str(xml_file), "/F"]
    sent = (tmp_path / "bin" / "task.xml").read_bytes()
    assert sent.startswith(b"\xff\xfe") and sent.decode("utf-16") == installed.task_xml
    arguments = text(etree.fromstring(sent), "t:Actions/t:Exec/t:Arguments")
    # the task speaks the workbook's language, although it is given no language by Windows' environment
    assert " -m xlcrm --lang ru schedule --run " in arguments and arguments.endswith("--command refresh")
    assert not xml_file.exists()  # the definition is not left in the temporary folder

    removal = schedule.remove_schedule(workbook, platform="windows")

    assert removal.removed
    assert calls.read_text().split("---\n")[1].splitlines() == ["/Query", "/TN", name]
    assert calls.read_text().split("---\n")[2].splitlines() == ["/Delete", "/TN", name, "/F"]


def test_a_refusal_of_schtasks_is_one_error_and_leaves_no_file(
    workbook: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    fake_schtasks(tmp_path / "bin", monkeypatch, status=1, says="ERROR: Access is denied.")

    with pytest.raises(schedule.ScheduleError, match="schtasks /Create .* failed: ERROR: Access is denied."):
        schedule.install_schedule(workbook, "07:30", platform="windows", executable=PYTHON)

    assert not list(tmp_path.glob("*.xml"))


def querying_schtasks(
    folder: Path, monkeypatch: pytest.MonkeyPatch, *, status: int, says: bytes, tasks: str = ""
) -> Path:
    """A stand-in ``schtasks``: ``/Query /TN`` exits ``status`` after saying the bytes ``says`` on stdout (as
    schtasks does, in the console's code page); ``/Query /FO CSV`` lists ``tasks``; ``/Delete`` succeeds. Its
    arguments go to ``calls.txt``."""
    folder.mkdir(exist_ok=True)
    (folder / "says.bin").write_bytes(says)
    (folder / "tasks.csv").write_text(tasks)
    calls = folder / "calls.txt"
    program = folder / "schtasks"
    said, listed = shlex.quote(str(folder / "says.bin")), shlex.quote(str(folder / "tasks.csv"))
    program.write_text(
        "#!/bin/sh\n"
        f'echo "$*" >> {shlex.quote(str(calls))}\n'
        'case "$*" in\n'
        f'  "/Query /TN "*) cat {said}; exit {status} ;;\n'
        f'  "/Query /FO CSV /NH") cat {listed} ;;\n'
        "esac\n"
    )
    program.chmod(0o755)
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ['PATH']}")
    return calls


def test_removing_a_task_that_is_not_there_deletes_nothing(
    workbook: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = querying_schtasks(
        tmp_path / "bin",
        monkeypatch,
        status=1,
        says="ОШИБКА: Не удается найти указанный файл.\r\n".encode("cp866"),
        tasks='"\\\\Microsoft\\\\Windows\\\\Defrag","N/A","Ready"\n',
    )

    assert not schedule.remove_schedule(workbook, platform="windows").removed
    assert calls.read_text().splitlines()[0].startswith("/Query /TN ")
    assert "/Delete" not in calls.read_text()


def test_a_query_refused_is_an_error_not_no_daily_run(
    workbook: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Access denied has the same exit code as "cannot find": the task is in the list, so it is an error, said
    in schtasks' own words (printed in the console's OEM code page, cp866 on a Russian Windows)."""
    name = schedule.task_name(workbook)
    calls = querying_schtasks(
        tmp_path / "bin",
        monkeypatch,
        status=1,
        says="ОШИБКА: Отказано в доступе.\r\n".encode("cp866"),
        tasks=f'"\\\\{name}","03.12.2026 7:30:00","Готово"\n',
    )
    monkeypatch.setattr(schedule, "console_encoding", lambda: "cp866")

    with pytest.raises(schedule.ScheduleError, match="schtasks /Query .* failed: ОШИБКА: Отказано в доступе."):
        schedule.remove_schedule(workbook, platform="windows")
    assert "/Delete" not in calls.read_text()


def test_a_query_that_fails_otherwise_is_an_error(
    workbook: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    querying_schtasks(tmp_path / "bin", monkeypatch, status=2, says=b"ERROR: The service is not running.")
    with pytest.raises(schedule.ScheduleError, match="The service is not running"):
        schedule.remove_schedule(workbook, platform="windows")


def test_schtasks_output_is_decoded_from_the_oem_code_page() -> None:
    said = 'ОШИБКА: Отказано в доступе. Задача "xlcrm-Клиенты" не найдена.'
    assert schedule.decode_output(said.encode("cp866"), "cp866") == said
    assert schedule.decode_output(said.encode("utf-8"), "utf-8") == said
    assert schedule.decode_output(b"\xff ok", "no-such-code-page") == "\ufffd ok"


def test_the_console_encoding_is_the_oem_code_page_on_windows(monkeypatch: pytest.MonkeyPatch) -> None:
    class Kernel32:
        @staticmethod
        def GetOEMCP() -> int:  # noqa: N802 - the Windows function's name
            return 866

    class WinDLL:
        kernel32 = Kernel32()

    monkeypatch.setattr(sys, "platform", "linux")
    assert schedule.console_encoding() == "utf-8"
    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setattr(ctypes, "windll", WinDLL(), raising=False)
    assert schedule.console_encoding() == "cp866"
    monkeypatch.delattr(ctypes, "windll")
    monkeypatch.setattr(locale, "getpreferredencoding", lambda do_setlocale=True: "cp1251")
    assert schedule.console_encoding() == "cp1251"


def test_list_reads_the_tasks_of_xlcrm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "bin"
    folder.mkdir()
    program = folder / "schtasks"
    program.write_text(
        "#!/bin/sh\n"
        'echo \'"\\\\Microsoft\\\\Windows\\\\Defrag","N/A","Ready"\'\n'
        'echo \'"\\\\xlcrm-clients-1a2b3c4d","03.12.2026 7:30:00","Ready"\'\n'
    )
    program.chmod(0o755)
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ['PATH']}")

    entries = schedule.list_schedules(platform="windows")

    assert [(entry.name, entry.description) for entry in entries] == [("xlcrm-clients-1a2b3c4d", "03.12.2026 7:30:00")]


def test_the_task_speaks_the_language_it_is_given(
    workbook: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    english = schedule.install_schedule(
        workbook, "07:30", platform="windows", executable=PYTHON, dry_run=True, today=TODAY, language="en"
    )
    assert english.task_xml is not None
    assert " -m xlcrm --lang en schedule --run " in text(parsed(english.task_xml), "t:Actions/t:Exec/t:Arguments")
    assert english.to_dict()["language"] == "en"


def test_a_language_xlcrm_does_not_speak_is_a_usage_error(workbook: Path) -> None:
    with pytest.raises(UsageError, match="'de': a daily run can speak en, ru"):
        schedule.install_schedule(workbook, "07:30", platform="windows", executable=PYTHON, dry_run=True, language="de")


@pytest.mark.parametrize("where", ["file", "folder", "python"])
@pytest.mark.parametrize("language", ["en", "ru"])
def test_a_path_with_a_per_cent_sign_is_refused_for_a_task(tmp_path: Path, where: str, language: str) -> None:
    """Task Scheduler expands %NAME% in the command, the arguments and the working folder, with no escape."""
    folder = tmp_path / ("100% клиентов" if where == "folder" else "Клиенты")
    folder.mkdir()
    path = folder / ("Клиенты 100%.xlsx" if where == "file" else "Клиенты.xlsx")
    create_template(path, "ru")
    python = r"C:\Python%VER%\python.exe" if where == "python" else PYTHON
    expected = {
        "en": "Windows Task Scheduler would take the % in this path for a variable; rename the file or folder",
        "ru": "планировщик заданий Windows примет знак % в этом пути за переменную; переименуйте файл или папку",
    }[language]
    with speaking(language):
        with pytest.raises(UsageError) as raised:
            schedule.install_schedule(path, "07:30", platform="windows", executable=python, dry_run=True)
        said = str(raised.value)
    assert expected in said and "\n" not in said
    assert said.startswith(python if where == "python" else str(path))
