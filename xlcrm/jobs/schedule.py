"""Running a command on a workbook every day by itself, with the platform's own scheduler.

``install_schedule`` sets up a daily run: on Windows a Task Scheduler task (``schtasks /Create /TN NAME /XML
FILE /F`` with a task definition in UTF-16, run only while the user is logged on, so that the task reaches the
shared drive the workbook is on), on Linux and macOS a line of the user's crontab (read with ``crontab -l``,
written with ``crontab -``), marked by a comment naming the workbook so that a second ``xlcrm schedule`` replaces
it and ``remove_schedule`` finds it. The name of the task (and of the crontab mark) comes from the workbook's
absolute path: the same workbook always gets the same name, whatever the folder it was scheduled from.

The scheduled entry runs ``python -m xlcrm --lang LANGUAGE schedule --run WORKBOOK --command COMMAND`` with the
absolute path of the Python that runs xlcrm now. ``LANGUAGE`` is decided when the run is set up (by default the
workbook's own, ``workbook_locale``): cron gives a run no locale, and the run's log and what it says should not
depend on the scheduler's environment. That run (``scheduled_run``) calls the job (``refresh_workbook`` …); while the
workbook is open in Excel or LibreOffice it tries again a few times (``RetryPlan``: every 10 minutes, 6 tries),
then gives up. Each run writes what happened, with the counts of errors and warnings or the error, to a small
rotated log in the backup folder beside the workbook (``.xlcrm-backups/NAME.schedule.log``).

``write_shortcut`` writes a file beside the workbook that runs the command with one double-click and waits for a
key, so the person sees the result: a ``.cmd`` on Windows, an executable ``.command`` on macOS (and Linux).
"""

from __future__ import annotations

import contextlib
import csv
import ctypes
import datetime as dt
import hashlib
import locale
import logging
import logging.handlers
import os
import re
import shlex
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePath, PureWindowsPath
from typing import Any, Literal
from xml.sax.saxutils import escape

from xlcrm.errors import UsageError, WorkbookLocked, WorkbookNotFound, XlcrmError, error_text
from xlcrm.files.locks import find_lock
from xlcrm.files.safe_save import BACKUP_FOLDER
from xlcrm.jobs import opening
from xlcrm.jobs.dedupe import dedupe_workbook
from xlcrm.jobs.refresh import refresh_workbook
from xlcrm.jobs.validate import validate_workbook
from xlcrm.messages import LANGUAGES, Message, Text, t, tn
from xlcrm.messages.as_json import JsonFields
from xlcrm.runtime.paths import path_key

Platform = Literal["windows", "cron"]

#: The commands a schedule or a shortcut may run, the first the default.
COMMANDS = ("refresh", "dedupe", "validate")
DEFAULT_COMMAND = COMMANDS[0]

TASK_NAMESPACE = "http://schemas.microsoft.com/windows/2004/02/mit/task"
TASK_PREFIX = "xlcrm-"
# A scheduled run may wait an hour for Excel to let go of the workbook, then works: stopped after two hours.
EXECUTION_TIME_LIMIT = "PT2H"
LOG_SUFFIX = ".schedule.log"
LOG_MAX_BYTES = 64 * 1024  # a few hundred runs per file
LOG_BACKUP_COUNT = 3
SHORTCUT_MARK = "Made by xlcrm schedule --shortcut"

_TIME = re.compile(r"(\d{1,2})[:.](\d{2})")
_UNSAFE_NAME_CHARACTERS = re.compile(r"[^A-Za-z0-9_-]+")
_NAME_STEM_LENGTH = 40
_CRON_MARK = "# xlcrm schedule: "
_SAFE_PATH = ["-P"] if sys.version_info >= (3, 11) else []  # the folder a run starts in is not on the module path


# pythonw.exe starts with no console, so sys.stdout and sys.stderr are None, which xlcrm's CLI does not expect: the
# windowless run gives them the null device, then runs ``python -m xlcrm`` with the arguments after it. No spaces,
# no double quotes: it is one argument as it stands on the task's command line.
_WINDOWLESS_START = (
    "import os,runpy,sys;"
    "sys.stdout=sys.stdout or open(os.devnull,'w');"
    "sys.stderr=sys.stderr or open(os.devnull,'w');"
    "runpy.run_module('xlcrm',run_name='__main__',alter_sys=True)"
)
_WINDOWLESS = "pythonw.exe"


class ScheduleError(XlcrmError):
    """The platform's scheduler refused or could not be run; nothing was changed."""


class ScheduledRunGaveUp(WorkbookLocked):
    """A scheduled run found the workbook open at every try and gave up; the workbook was not changed."""


class ShortcutExists(UsageError):
    """A file xlcrm did not write has the shortcut's name; it was left as it was."""


@dataclass(frozen=True)
class RetryPlan:
    """How a scheduled run waits for a workbook open elsewhere: ``tries`` in all, ``every`` seconds apart."""

    tries: int = 6
    every: float = 600.0


#: A scheduled run waits for a workbook open in Excel: every 10 minutes, for about an hour.
DEFAULT_RETRY = RetryPlan()


@dataclass(frozen=True)
class Schedule:
    """A daily run of ``command`` on ``workbook`` at ``at``, as the platform's scheduler is given it."""

    workbook: PurePath  # absolute
    command: str
    at: dt.time
    name: str  # the task's name, and the crontab line's mark
    platform: Platform
    executable: str  # the absolute path of the Python that runs xlcrm
    language: str = "en"  # the language the run speaks (its log, what it says): xlcrm's --lang

    @property
    def arguments(self) -> list[str]:
        """What the scheduled entry passes to Python. ``-P`` (Python 3.11+) keeps the workbook's folder, where the
        run starts, off the module path: a stray ``.py`` file on the shared drive cannot stand in for a module.
        ``--lang`` makes the run speak ``language`` whatever the scheduler's environment says."""
        start = ("-c", _WINDOWLESS_START) if is_windowless(self.executable) else ("-m", "xlcrm")
        return [
            *_SAFE_PATH,
            *start,
            *("--lang", self.language),
            *("schedule", "--run", str(self.workbook), "--command", self.command),
        ]


@dataclass(frozen=True)
class Installation:
    """What ``install_schedule`` did (or, with ``dry_run``, would do)."""

    schedule: Schedule
    dry_run: bool
    command_line: str  # the schtasks command line, or the crontab lines (the comment and the entry)
    task_xml: str | None  # Windows: the task definition
    replaced: bool  # an entry for this workbook was there already and was replaced (cron; schtasks /F)

    def to_dict(self) -> dict[str, Any]:
        """The installation as JSON-ready values."""
        return {
            "workbook": str(self.schedule.workbook),
            "command": self.schedule.command,
            "at": self.schedule.at.strftime("%H:%M"),
            "name": self.schedule.name,
            "platform": self.schedule.platform,
            "language": self.schedule.language,
            "dry_run": self.dry_run,
            "command_line": self.command_line,
            "task_xml": self.task_xml,
            "replaced": self.replaced,
        }


@dataclass(frozen=True)
class Removal(JsonFields):
    """What ``remove_schedule`` did: the entry's name, and whether there was one."""

    workbook: PurePath
    name: str
    removed: bool


@dataclass(frozen=True)
class ScheduledEntry(JsonFields):
    """One xlcrm entry of the scheduler: its name and what the scheduler says of it."""

    name: str
    description: str  # the crontab line, or the task's next run time


@dataclass(frozen=True)
class RunResult(JsonFields):
    """What a scheduled run did: the command, the tries it took, the errors and warnings left, the log."""

    workbook: Path
    command: str
    tries: int
    errors: int
    warnings: int
    log: Path


@dataclass(frozen=True)
class Shortcut(JsonFields):
    """The file ``write_shortcut`` wrote, and the command it runs."""

    path: Path
    command: str


# --- what is scheduled -------------------------------------------------------------------------------------------


def current_platform() -> Platform:
    """The scheduler of this computer: Task Scheduler on Windows, cron elsewhere."""
    return "windows" if sys.platform == "win32" else "cron"


def parse_time(text: str) -> dt.time:
    """The time of day ``text`` names (``07:30``, ``7:30``, ``7.30``); a usage error for anything else."""
    match = _TIME.fullmatch(text.strip())
    if match and int(match[1]) < 24 and int(match[2]) < 60:
        return dt.time(int(match[1]), int(match[2]))
    raise UsageError(t("--at {value} is not a time of day; give hours and minutes, e.g. 07:30", value=repr(text)))


def check_command(command: str) -> str:
    """``command`` when a schedule may run it; a usage error naming those it may."""
    if command not in COMMANDS:
        raise UsageError(
            t("--command {value}: a schedule can run {commands}", value=repr(command), commands=list(COMMANDS))
        )
    return command


def workbook_path(path: str | Path) -> Path:
    """The absolute path of the existing workbook ``path`` (not resolving links or mapped drives, so that the
    scheduler is given the path the person knows)."""
    absolute = Path(os.path.abspath(path))
    if not absolute.is_file():
        raise WorkbookNotFound(t("{path} does not exist; nothing was scheduled", path=absolute))
    if any(character in str(absolute) for character in "\r\n"):
        raise UsageError(t("{path}: a path with a line break cannot be scheduled", path=repr(str(absolute))))
    return absolute


def task_name(workbook: PurePath) -> str:
    """The scheduler's name for the entry of ``workbook`` (absolute): ``xlcrm-`` with the file name's safe
    characters and a short hash of the whole path, the same on every call and different for another folder."""
    key = str(workbook).casefold() if isinstance(workbook, PureWindowsPath) else str(workbook)
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:8]
    stem = _UNSAFE_NAME_CHARACTERS.sub("-", workbook.stem).strip("-")[:_NAME_STEM_LENGTH].strip("-")
    return f"{TASK_PREFIX}{stem}-{digest}" if stem else f"{TASK_PREFIX}{digest}"


def check_language(language: str) -> str:
    """``language`` when xlcrm speaks it; a usage error naming those it speaks."""
    if language not in LANGUAGES:
        raise UsageError(
            t("{value}: a daily run can speak {languages}", value=repr(language), languages=list(LANGUAGES))
        )
    return language


def is_windowless(executable: str) -> bool:
    """Whether ``executable`` is Windows' ``pythonw.exe``, which runs with no console window."""
    return re.split(r"[\\/]", executable)[-1].casefold() == _WINDOWLESS


def task_python(python: str) -> str:
    """The Python a Windows task runs: ``pythonw.exe`` beside ``python`` when it is there, so that no console
    window stays open while the run waits (up to an hour) for a workbook open in Excel, and closing it cannot
    kill the run; else ``python`` itself."""
    folder = os.path.dirname(python)
    windowless = os.path.join(folder, _WINDOWLESS)
    return windowless if folder and os.path.isfile(windowless) else python


def make_schedule(
    workbook: PurePath,
    at: dt.time,
    *,
    command: str = DEFAULT_COMMAND,
    platform: Platform | None = None,
    executable: str | None = None,
    language: str = "en",
) -> Schedule:
    """The daily run of ``command`` on the absolute ``workbook`` at ``at``, for ``platform`` (default: this
    computer's) with the Python ``executable`` (default: the one running now; a Windows task runs the
    ``pythonw.exe`` beside it when there is one, ``task_python``), speaking ``language``."""
    platform = platform or current_platform()
    python = executable or os.path.abspath(sys.executable)
    return Schedule(
        workbook=workbook,
        command=check_command(command),
        at=at,
        name=task_name(workbook),
        platform=platform,
        executable=task_python(python) if platform == "windows" else python,
        language=check_language(language),
    )


# --- Windows: Task Scheduler -------------------------------------------------------------------------------------


def task_xml(schedule: Schedule, *, today: dt.date) -> str:
    """The Task Scheduler definition (schema 1.2) of ``schedule``: daily from ``today`` at its time, only while
    the user is logged on (``InteractiveToken``: the task then reaches the user's network drives), a start missed
    while the computer was off made up as soon as it can be, a second start while one runs ignored."""
    start = dt.datetime.combine(today, schedule.at).isoformat(timespec="seconds")
    description = t(
        "xlcrm {command} of {workbook} every day at {time}",
        command=schedule.command,
        workbook=str(schedule.workbook),
        time=schedule.at.strftime("%H:%M"),
    )
    values = {
        "date": escape(dt.datetime.combine(today, dt.time()).isoformat(timespec="seconds")),
        "description": escape(str(description)),
        "uri": escape("\\" + schedule.name),
        "start": escape(start),
        "limit": EXECUTION_TIME_LIMIT,
        "command": escape(schedule.executable),
        "arguments": escape(subprocess.list2cmdline(schedule.arguments)),
        "folder": escape(str(schedule.workbook.parent)),
        "namespace": TASK_NAMESPACE,
    }
    return _TASK_TEMPLATE.format(**values)


_TASK_TEMPLATE = """<?xml version="1.0" encoding="UTF-16"?>
<Task version="1.2" xmlns="{namespace}">
  <RegistrationInfo>
    <Date>{date}</Date>
    <Author>xlcrm</Author>
    <Description>{description}</Description>
    <URI>{uri}</URI>
  </RegistrationInfo>
  <Triggers>
    <CalendarTrigger>
      <StartBoundary>{start}</StartBoundary>
      <Enabled>true</Enabled>
      <ScheduleByDay>
        <DaysInterval>1</DaysInterval>
      </ScheduleByDay>
    </CalendarTrigger>
  </Triggers>
  <Principals>
    <Principal id="Author">
      <LogonType>InteractiveToken</LogonType>
      <RunLevel>LeastPrivilege</RunLevel>
    </Principal>
  </Principals>
  <Settings>
    <MultipleInstancesPolicy>IgnoreNew</MultipleInstancesPolicy>
    <DisallowStartIfOnBatteries>false</DisallowStartIfOnBatteries>
    <StopIfGoingOnBatteries>false</StopIfGoingOnBatteries>
    <AllowHardTerminate>true</AllowHardTerminate>
    <StartWhenAvailable>true</StartWhenAvailable>
    <RunOnlyIfNetworkAvailable>false</RunOnlyIfNetworkAvailable>
    <IdleSettings>
      <StopOnIdleEnd>false</StopOnIdleEnd>
      <RestartOnIdle>false</RestartOnIdle>
    </IdleSettings>
    <AllowStartOnDemand>true</AllowStartOnDemand>
    <Enabled>true</Enabled>
    <Hidden>false</Hidden>
    <RunOnlyIfIdle>false</RunOnlyIfIdle>
    <WakeToRun>false</WakeToRun>
    <ExecutionTimeLimit>{limit}</ExecutionTimeLimit>
    <Priority>7</Priority>
  </Settings>
  <Actions Context="Author">
    <Exec>
      <Command>{command}</Command>
      <Arguments>{arguments}</Arguments>
      <WorkingDirectory>{folder}</WorkingDirectory>
    </Exec>
  </Actions>
</Task>
"""


def check_task_paths(schedule: Schedule) -> None:
    """Nothing when Task Scheduler can be given the paths of ``schedule``; a usage error when the workbook's path
    (its folder is the task's working folder) or Python's has a ``%``: Task Scheduler reads ``%NAME%`` in a task's
    command, arguments and folder as a variable, and has no way to escape it."""
    for path in (str(schedule.workbook), schedule.executable):
        if "%" in path:
            raise UsageError(
                t(
                    "{path}: Windows Task Scheduler would take the % in this path for a variable; rename the file "
                    "or folder so that the path has no %",
                    path=path,
                )
            )


def task_file(schedule: Schedule) -> Path:
    """Where the task definition is written for schtasks (and deleted after)."""
    return Path(tempfile.gettempdir()) / f"{schedule.name}.xml"


def schtasks_create(schedule: Schedule, xml_file: PurePath) -> list[str]:
    """The schtasks command that creates (or replaces: ``/F``) the task from its definition in ``xml_file``."""
    return ["schtasks", "/Create", "/TN", schedule.name, "/XML", str(xml_file), "/F"]


def schtasks_query(name: str) -> list[str]:
    """The schtasks command that succeeds when the task ``name`` exists."""
    return ["schtasks", "/Query", "/TN", name]


def schtasks_delete(name: str) -> list[str]:
    """The schtasks command that deletes the task ``name``."""
    return ["schtasks", "/Delete", "/TN", name, "/F"]


# --- Linux and macOS: cron ---------------------------------------------------------------------------------------


def cron_lines(schedule: Schedule) -> list[str]:
    """The two lines of the crontab for ``schedule``: a comment naming the workbook, then the entry, which ends
    with a shell comment holding the entry's name. The run speaks the schedule's language (its ``--lang``)."""
    program = " ".join(shlex.quote(part) for part in [schedule.executable, *schedule.arguments])
    folder = shlex.quote(str(schedule.workbook.parent))
    # cron turns an unescaped % into a line break
    command = f"cd {folder} && {program} >/dev/null".replace("%", "\\%")
    minute, hour = schedule.at.minute, schedule.at.hour
    return [
        f"{_CRON_MARK}{schedule.command} {schedule.workbook} [{schedule.name}]",
        f"{minute} {hour} * * * {command} # {schedule.name}",
    ]


def without_entry(table: bytes, name: str) -> tuple[bytes, bool]:
    """The crontab ``table`` without the lines of the entry ``name``, and whether there were any. The table is
    bytes split on ``\\n`` only: every other line, whatever its bytes (a comment in another code page, a form
    feed inside a job), is kept exactly as it was, and so is the newline at the end (or its absence)."""
    lines = table.split(b"\n")
    kept = [line for line in lines if not _is_entry_line(line, name)]
    return b"\n".join(kept), len(kept) != len(lines)


def with_entry(table: bytes, lines: Sequence[str]) -> bytes:
    """The crontab ``table`` (without the entry already) with ``lines`` added at its end, each ending in a
    newline (crontab needs the last line to end with one)."""
    added = b"".join(_cron_bytes(line) + b"\n" for line in lines)
    if table and not table.endswith(b"\n"):
        table += b"\n"
    return table + added


def _cron_bytes(line: str) -> bytes:
    """A line xlcrm writes, as the file-system's bytes (a path that is not UTF-8 stays the bytes it is)."""
    return os.fsencode(line) if os.name != "nt" else line.encode("utf-8")


def _is_entry_line(line: bytes, name: str) -> bool:
    text = line.strip()
    if text.startswith(_CRON_MARK.encode("ascii")):
        return text.endswith(f"[{name}]".encode("ascii"))
    return not text.startswith(b"#") and text.endswith(f" # {name}".encode("ascii"))


def read_crontab() -> bytes:
    """The user's crontab as its bytes (empty when there is none)."""
    done = _run_bytes(["crontab", "-l"])
    if done.returncode != 0:
        stderr = done.stderr.decode("utf-8", errors="replace")
        if "no crontab" in stderr.lower() and not done.stdout.strip():
            return b""
        raise ScheduleError(t("crontab -l failed: {reason}", reason=_reason(_decoded(done, "utf-8"))))
    return done.stdout


def write_crontab(table: bytes) -> None:
    """Nothing; replaces the user's crontab with the bytes ``table``."""
    done = _run_bytes(["crontab", "-"], input_bytes=table)
    if done.returncode != 0:
        raise ScheduleError(t("crontab refused the new table: {reason}", reason=_reason(_decoded(done, "utf-8"))))


# --- install, remove, list ---------------------------------------------------------------------------------------


def install_schedule(
    path: str | Path,
    at: str | dt.time,
    *,
    command: str = DEFAULT_COMMAND,
    dry_run: bool = False,
    platform: Platform | None = None,
    executable: str | None = None,
    today: dt.date | None = None,
    language: str | None = None,
) -> Installation:
    """Run ``command`` on the workbook at ``path`` every day at ``at`` (``"07:30"``) with the scheduler of
    ``platform`` (default: this computer's), replacing the entry it had; with ``dry_run`` only say what would be
    installed. The run speaks ``language`` (default: the workbook's, ``workbook_locale``, else English)."""
    when = at if isinstance(at, dt.time) else parse_time(at)
    check_command(command)
    if language is not None:
        check_language(language)
    workbook = workbook_path(path)
    schedule = make_schedule(
        workbook,
        when,
        command=command,
        platform=platform,
        executable=executable,
        language=language or opening.workbook_locale(workbook) or "en",
    )
    if schedule.platform == "windows":
        check_task_paths(schedule)
        xml = task_xml(schedule, today=today or dt.date.today())
        xml_file = task_file(schedule)
        argv = schtasks_create(schedule, xml_file)
        if not dry_run:
            xml_file.write_text(xml, encoding="utf-16")
            try:
                _check(argv)
            finally:
                xml_file.unlink(missing_ok=True)
        return Installation(schedule, dry_run, subprocess.list2cmdline(argv), xml, replaced=False)
    lines = cron_lines(schedule)
    replaced = False
    if not dry_run:
        kept, replaced = without_entry(read_crontab(), schedule.name)
        write_crontab(with_entry(kept, lines))
    return Installation(schedule, dry_run, "\n".join(lines), None, replaced=replaced)


def remove_schedule(path: str | Path, *, platform: Platform | None = None) -> Removal:
    """Remove the daily run of the workbook at ``path`` (which need not exist any more); says whether there was
    one."""
    workbook = Path(os.path.abspath(path))
    name = task_name(workbook)
    if (platform or current_platform()) == "windows":
        query = _run(schtasks_query(name))
        if query.returncode != 0:
            if query.returncode == 1 and _task_is_absent(name):
                return Removal(workbook, name, removed=False)
            # access denied, the service not running…: not a sign that there is no daily run
            raise ScheduleError(
                t(
                    "the scheduler command {command} failed: {reason}",
                    command=subprocess.list2cmdline(schtasks_query(name)),
                    reason=_reason(query),
                )
            )
        _check(schtasks_delete(name))
        return Removal(workbook, name, removed=True)
    kept, removed = without_entry(read_crontab(), name)
    if removed:
        write_crontab(kept)
    return Removal(workbook, name, removed)


def _task_is_absent(name: str) -> bool:
    """Whether the list of all tasks can be read and has no task ``name`` (schtasks says "cannot find" in the
    language of Windows, and with the same exit code as "access is denied": its list is what tells them apart)."""
    done = _run(["schtasks", "/Query", "/FO", "CSV", "/NH"])
    if done.returncode != 0:
        return False
    wanted = name.casefold()
    return not any(row and row[0].lstrip("\\").casefold() == wanted for row in _csv_rows(done.stdout))


def list_schedules(*, platform: Platform | None = None) -> list[ScheduledEntry]:
    """The daily runs xlcrm set up on this computer."""
    if (platform or current_platform()) == "windows":
        done = _check(["schtasks", "/Query", "/FO", "CSV", "/NH"])
        entries = []
        for row in _csv_rows(done.stdout):
            if len(row) >= 2 and row[0].lstrip("\\").startswith(TASK_PREFIX):
                entries.append(ScheduledEntry(row[0].lstrip("\\"), row[1]))
        return entries
    entries = []
    for raw in read_crontab().split(b"\n"):
        text = raw.strip().decode("utf-8", errors="replace")  # only shown
        if text.startswith(_CRON_MARK) and text.endswith("]") and "[" in text:
            name, description = text[text.rindex("[") + 1 : -1], text[len(_CRON_MARK) : text.rindex("[")].strip()
            entries.append(ScheduledEntry(name, description))
    return entries


def _csv_rows(text: str) -> list[list[str]]:
    return list(csv.reader(text.splitlines()))


def _run(argv: Sequence[str]) -> subprocess.CompletedProcess[str]:
    """``argv`` (schtasks) run, what it printed decoded from the console's code page."""
    return _decoded(_run_bytes(argv), console_encoding())


def console_encoding() -> str:
    """The encoding console programs (schtasks) print in: on Windows the console's OEM code page (``cp866`` on a
    Russian Windows, not the ANSI ``cp1251`` nor UTF-8), else UTF-8."""
    if sys.platform != "win32":
        return "utf-8"
    try:
        return f"cp{int(ctypes.windll.kernel32.GetOEMCP())}"  # type: ignore[attr-defined,unused-ignore]
    except (AttributeError, OSError, ValueError):
        return locale.getpreferredencoding(False)


def decode_output(data: bytes, encoding: str) -> str:
    """What a program printed as ``data`` in ``encoding`` (a code page such as ``cp866``), as text; bytes that do
    not decode are replaced (the text is only shown), and so is an encoding Python does not know."""
    try:
        return data.decode(encoding, errors="replace")
    except LookupError:
        return data.decode("utf-8", errors="replace")


def _decoded(done: subprocess.CompletedProcess[bytes], encoding: str) -> subprocess.CompletedProcess[str]:
    """``done`` with its output decoded from ``encoding`` (what cannot be decoded replaced: it is only shown)."""
    return subprocess.CompletedProcess(
        done.args,
        done.returncode,
        decode_output(done.stdout or b"", encoding),
        decode_output(done.stderr or b"", encoding),
    )


def _run_bytes(argv: Sequence[str], *, input_bytes: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(list(argv), input=input_bytes, capture_output=True, check=False)
    except OSError as exc:
        raise ScheduleError(
            t(
                "cannot start {program} to set up the daily run: {reason}",
                program=argv[0],
                reason=exc.strerror or str(exc),
            )
        ) from None


def _check(argv: Sequence[str]) -> subprocess.CompletedProcess[str]:
    done = _run(argv)
    if done.returncode != 0:
        raise ScheduleError(
            t(
                "the scheduler command {command} failed: {reason}",
                command=subprocess.list2cmdline(argv),
                reason=_reason(done),
            )
        )
    return done


def _reason(done: subprocess.CompletedProcess[str]) -> Text:
    """What a program that failed said (on one line), or its exit code when it said nothing."""
    text = " ".join((done.stderr or done.stdout).split())
    return text or t("it ended with exit code {code} and said nothing", code=done.returncode)


# --- the scheduled run -------------------------------------------------------------------------------------------


def log_path(workbook: Path) -> Path:
    """The log of the scheduled runs of ``workbook``, in the backup folder beside it."""
    return workbook.parent / BACKUP_FOLDER / f"{workbook.name}{LOG_SUFFIX}"


def scheduled_run(
    path: str | Path,
    *,
    command: str = DEFAULT_COMMAND,
    retry: RetryPlan | None = None,
    sleep: Callable[[float], None] = time.sleep,
    max_log_bytes: int = LOG_MAX_BYTES,
) -> RunResult:
    """Run ``command`` on the workbook at ``path`` as the scheduler does: tried again ``retry.every`` seconds
    later while the workbook is open elsewhere, up to ``retry.tries`` tries (default ``DEFAULT_RETRY``); every
    step written to the log (``log_path``), rotated at ``max_log_bytes``. Raises the job's error
    (``ScheduledRunGaveUp`` after the last try), logged first."""
    check_command(command)
    workbook = Path(os.path.abspath(path))
    log = log_path(workbook)
    with _run_log(log, max_log_bytes) as write:
        write(t("scheduled {command} of {workbook} started", command=command, workbook=workbook))
        try:
            errors, warnings, tries = _with_retries(workbook, command, retry or DEFAULT_RETRY, sleep, write)
        except XlcrmError as exc:
            write(t("scheduled {command} failed: {error}", command=command, error=error_text(exc)))
            raise
        except Exception as exc:
            write(t("scheduled {command} failed: {error}", command=command, error=f"{type(exc).__name__}: {exc}"))
            raise
        counts = [tn("{count} error", "{count} errors", errors), tn("{count} warning", "{count} warnings", warnings)]
        if tries > 1:
            write(
                t(
                    "scheduled {command} done after {tries} tries: {counts} left",
                    command=command,
                    tries=tries,
                    counts=counts,
                )
            )
        else:
            write(t("scheduled {command} done: {counts} left", command=command, counts=counts))
    return RunResult(workbook, command, tries, errors, warnings, log)


def _with_retries(
    workbook: Path, command: str, retry: RetryPlan, sleep: Callable[[float], None], write: Callable[[Message], None]
) -> tuple[int, int, int]:
    """(errors, warnings, tries) of ``command`` run on ``workbook``, tried again while the workbook is locked."""
    tries = max(1, retry.tries)
    for attempt in range(1, tries + 1):
        try:
            errors, warnings = _run_job(command, workbook)
        except WorkbookLocked as exc:
            if attempt == tries:
                gave_up = t(
                    "{workbook} was still open after {tries} tries, so {command} gave up: {reason}",
                    workbook=workbook,
                    tries=tries,
                    command=command,
                    reason=error_text(exc),
                )
                raise ScheduledRunGaveUp(_with_lock_file(gave_up, workbook)) from exc
            write(
                t(
                    "try {attempt} of {tries}: {reason}; trying again {wait}",
                    attempt=attempt,
                    tries=tries,
                    reason=error_text(exc),
                    wait=_duration(retry.every),
                )
            )
            sleep(retry.every)
        else:
            return errors, warnings, attempt
    raise AssertionError("unreachable")  # pragma: no cover


def _with_lock_file(gave_up: Message, workbook: Path) -> Message:
    """``gave_up`` naming the lock file of Excel or LibreOffice beside ``workbook``, to delete when nobody has the
    workbook open: a scheduled run cannot be given --ignore-lock, which the lock's own message suggests."""
    try:
        lock = find_lock(workbook)
    except OSError:
        lock = None
    if lock is None:
        return gave_up
    return t(
        "{gave_up}. If nobody has the workbook open, its lock file {lock} was left over from a crash: delete that "
        "file and the next run will go ahead",
        gave_up=gave_up,
        lock=lock.lock_path,
    )


def _duration(seconds: float) -> Message:
    """A wait in whole minutes, or in seconds when it is shorter than a minute (as tests make it)."""
    if seconds >= 60:
        minutes = round(seconds / 60)
        return tn("in {count} minute", "in {count} minutes", minutes)
    return tn("in {count} second", "in {count} seconds", round(seconds))


def _run_job(command: str, workbook: Path) -> tuple[int, int]:
    """(errors, warnings) left after ``command`` ran on ``workbook``."""
    if command == "refresh":
        refreshed = refresh_workbook(workbook)
        return refreshed.errors, refreshed.warnings
    if command == "dedupe":
        deduped = dedupe_workbook(workbook)
        return deduped.errors, deduped.warnings
    report = validate_workbook(workbook)
    return len(report.errors), len(report.warnings)


@contextlib.contextmanager
def _run_log(path: Path, max_bytes: int) -> Iterator[Callable[[Message], None]]:
    """A function writing one line (with the time) to the log at ``path``, rotated at ``max_bytes``. Where the
    log cannot be made (the workbook's folder is gone, the shared drive not there) it writes nothing: the run
    then fails on the missing workbook, which says more."""
    try:
        path.parent.mkdir(exist_ok=True)
        handler = logging.handlers.RotatingFileHandler(
            path, maxBytes=max_bytes, backupCount=LOG_BACKUP_COUNT, encoding="utf-8"
        )
    except OSError:
        yield lambda message: None
        return
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s", "%Y-%m-%d %H:%M:%S"))
    logger = logging.getLogger(f"xlcrm.schedule.{path_key(path)}")
    logger.setLevel(logging.INFO)
    logger.propagate = False
    logger.addHandler(handler)

    def write(message: Message) -> None:
        logger.info("%s", " ".join(str(message).split()))

    try:
        yield write
    finally:
        logger.removeHandler(handler)
        handler.close()


# --- the one-click shortcut --------------------------------------------------------------------------------------


def shortcut_path(workbook: Path, command: str, platform: Platform) -> Path:
    """Where the shortcut running ``command`` on ``workbook`` goes: beside it."""
    suffix = ".cmd" if platform == "windows" else ".command"
    return workbook.parent / f"xlcrm {command} {workbook.stem}{suffix}"


def shortcut_text(workbook: PurePath, command: str, platform: Platform, executable: str) -> str:
    """The shortcut's text: runs ``xlcrm command workbook`` with ``executable``, then waits for a key."""
    if platform == "windows":
        # cmd reads the file line by line in the console's code page: once chcp has set UTF-8, a Russian path
        # reads right (the lines before it are ASCII). Inside quotes only % is special in a batch file.
        def quoted(text: str) -> str:
            return '"' + text.replace("%", "%%") + '"'

        lines = [
            "@echo off",
            "chcp 65001 >nul",
            f"rem {SHORTCUT_MARK}",
            f"cd /d {quoted(str(workbook.parent))}",
            " ".join([quoted(executable), *_SAFE_PATH, "-m", "xlcrm", command, quoted(str(workbook))]),
            "echo.",
            "pause",
        ]
        return "\r\n".join(lines) + "\r\n"
    prompt = str(t("Press Enter to close this window."))
    lines = [
        "#!/bin/sh",
        f"# {SHORTCUT_MARK}",
        f"cd {shlex.quote(str(workbook.parent))} || exit 1",
        " ".join([shlex.quote(executable), *_SAFE_PATH, "-m", "xlcrm", command, shlex.quote(str(workbook))]),
        "status=$?",
        "echo",
        f"printf '%s' {shlex.quote(prompt)}",
        "read -r _",
        'exit "$status"',
    ]
    return "\n".join(lines) + "\n"


def write_shortcut(
    path: str | Path,
    *,
    command: str = DEFAULT_COMMAND,
    platform: Platform | None = None,
    executable: str | None = None,
) -> Shortcut:
    """Write beside the workbook at ``path`` a file that runs ``command`` on it with one double-click and shows
    the result: ``xlcrm refresh NAME.cmd`` on Windows, an executable ``xlcrm refresh NAME.command`` elsewhere. A
    shortcut written before is replaced; any other file of that name is left alone (an error)."""
    check_command(command)
    workbook = workbook_path(path)
    platform = platform or current_platform()
    target = shortcut_path(workbook, command, platform)
    try:
        ours = SHORTCUT_MARK in target.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        ours = True
    except OSError:
        ours = False
    if not ours:
        raise ShortcutExists(t("{path} exists and was not written by xlcrm; it was left as it was", path=target))
    text = shortcut_text(workbook, command, platform, executable or os.path.abspath(sys.executable))
    target.write_bytes(text.encode("utf-8"))
    if platform != "windows":
        target.chmod(0o755)
    return Shortcut(target, command)
