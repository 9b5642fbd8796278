"""repo_root() finds the checkout, and no module counts parent folders to find it instead."""

from __future__ import annotations

import re
import subprocess

from questlog_core.paths import repo_root

from tests.conftest import ROOT

# The schemas travel next to the library in the images (which hold no pyproject.toml): the registry
# finds them relative to itself.
EXEMPT = {"lib/questlog_core/registry.py"}


def test_repo_root_is_the_checkout():
    assert (repo_root() / "pyproject.toml").is_file()
    assert (repo_root() / "Makefile").is_file()
    assert repo_root() == ROOT


def test_no_module_counts_parent_folders_to_find_the_root():
    files = subprocess.run(["git", "ls-files", "*.py"], cwd=ROOT, capture_output=True, text=True, check=True)
    counting = re.compile(r"\.parents\[\d\]|\.parent\.parent\.parent")
    found = [
        f"{path}:{n}"
        for path in files.stdout.split()
        if path not in EXEMPT and path != "tests/unit/test_paths.py"
        for n, line in enumerate((ROOT / path).read_text().splitlines(), 1)
        if counting.search(line)
    ]
    assert found == [], "use questlog_core.paths.repo_root()"
