"""The docs site builds with --strict, and a broken link fails it (what `make docs` runs)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("mkdocs", reason="the docs extra (make install-dev) installs MkDocs")
pytest.importorskip("material", reason="the docs extra installs the Material theme")

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_the_site_builds_and_a_broken_link_is_its_only_failure(tmp_path: Path) -> None:
    """One build of a copy of the site with one bad link and one bad anchor added: the build
    fails, and those two links are the only warnings (so the real site builds clean)."""
    shutil.copy(REPO / "mkdocs.yml", tmp_path / "mkdocs.yml")
    shutil.copytree(REPO / "docs", tmp_path / "docs")
    with (tmp_path / "docs" / "index.md").open("a") as index:
        index.write("\n[gone](no-such-page.md) and [moved](concepts.md#no-such-anchor)\n")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    warnings = [line for line in done.stderr.splitlines() if line.startswith("WARNING")]
    assert done.returncode != 0, done.stderr
    assert len(warnings) == 2, "\n".join(warnings)
    assert "'no-such-page.md'" in warnings[0] and "'#no-such-anchor'" in warnings[1]


def _nav_pages(entry: object) -> list[str]:
    """The page paths of a mkdocs.yml nav entry, sections walked."""
    if isinstance(entry, str):
        return [entry]
    if isinstance(entry, dict):
        return [page for value in entry.values() for page in _nav_pages(value)]
    return [page for item in entry for page in _nav_pages(item)]  # a list


def test_the_home_page_links_every_page_of_the_nav() -> None:
    """The site's home page is its table of contents, as the README's Documentation list is
    the repository's: a page added to the nav is added there too."""
    import yaml

    nav = yaml.safe_load((REPO / "mkdocs.yml").read_text())["nav"]
    index = (REPO / "docs" / "index.md").read_text()
    missing = [page for page in _nav_pages(nav) if page != "index.md" and f"]({page})" not in index]
    assert not missing, f"docs/index.md links none of: {', '.join(missing)}"
