"""The README's install steps name the wheel of the version being built, so they stay right when it changes."""

from __future__ import annotations

import re

import xlcrm
from tests.paths import README


def _section(text: str, heading: str) -> str:
    """The README text from ``heading`` to the next heading of the same or a higher level."""
    level = heading.split(" ", 1)[0]
    start = text.index(f"\n{heading}\n")
    end = re.search(rf"^#{{1,{len(level)}}} ", text[start + len(heading) + 2 :], re.M)
    return text[start : start + len(heading) + 2 + end.start()] if end else text[start:]


def test_the_install_steps_name_the_wheel_of_this_version():
    text = README.read_text(encoding="utf-8")
    install = _section(text, "## Install")
    upgrade = _section(text, "### Upgrade and uninstall")
    steps = install.replace(upgrade, "")  # the upgrade shows a newer version on purpose
    wheels = set(re.findall(r"xlcrm-([\w.]+)-py3-none-any\.whl", steps))
    assert wheels == {xlcrm.__version__}
    assert set(re.findall(r"xlcrm, version (\d[\w.]*\w)", steps)) == {xlcrm.__version__}
    assert "pipx install xlcrm" in install
