"""Open a password-protected workbook in headless LibreOffice and print what it sees, as JSON.

Run with the system Python that has LibreOffice's ``uno`` module (python3-uno), not the project's venv:

    /usr/bin/python3 tests/lo_open_encrypted.py WORKBOOK PASSWORD PROFILE_DIR SHEET CELL...

Prints ``{"opened": true, "sheets": [...], "cells": {"A2": "..."}}``, or ``{"opened": false}`` when LibreOffice
does not open the file with that password. soffice has no command-line option for a password, hence UNO.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import uno  # type: ignore[import-not-found]
from com.sun.star.beans import PropertyValue  # type: ignore[import-not-found]
from com.sun.star.connection import NoConnectException  # type: ignore[import-not-found]
from com.sun.star.io import IOException  # type: ignore[import-not-found]
from com.sun.star.lang import IllegalArgumentException  # type: ignore[import-not-found]


def prop(name: str, value: object) -> PropertyValue:
    item = PropertyValue()
    item.Name, item.Value = name, value
    return item


def main() -> None:
    workbook, password, profile, sheet_name, *cells = sys.argv[1:]
    pipe = f"xlcrm{uuid.uuid4().hex}"
    office = subprocess.Popen(
        [
            "soffice",
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            "--norestore",
            "--nologo",
            "--nodefault",
            f"--accept=pipe,name={pipe};urp;",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    desktop = None
    try:
        local = uno.getComponentContext()
        resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
        for _ in range(240):
            try:
                context = resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
                break
            except NoConnectException:
                time.sleep(0.25)
        else:
            raise SystemExit("LibreOffice did not start")
        desktop = context.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", context)
        url = uno.systemPathToFileUrl(str(Path(workbook).resolve()))
        # Right after start Calc may not be ready and a load returns nothing: wait until a new sheet opens.
        for _ in range(120):
            blank = desktop.loadComponentFromURL("private:factory/scalc", "_blank", 0, (prop("Hidden", True),))
            if blank is not None:
                blank.close(True)
                break
            time.sleep(0.5)
        try:
            document = desktop.loadComponentFromURL(
                url, "_blank", 0, (prop("Hidden", True), prop("Password", password))
            )
        except (IllegalArgumentException, IOException):
            document = None
        if document is None:
            print(json.dumps({"opened": False}))
            return
        sheets = document.getSheets()
        sheet = sheets.getByName(sheet_name)
        values = {ref: sheet.getCellRangeByName(ref).getString() for ref in cells}
        print(
            json.dumps({"opened": True, "sheets": list(sheets.getElementNames()), "cells": values}, ensure_ascii=False)
        )
        document.close(True)
    finally:
        if desktop is not None:
            try:
                desktop.terminate()
            except Exception:  # the bridge goes away while LibreOffice quits
                pass
        try:
            office.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(office.pid, signal.SIGKILL)  # soffice.bin is a child of the soffice script
            office.wait()


if __name__ == "__main__":
    main()
