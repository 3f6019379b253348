"""MkDocs hook: add the generated CLI and config references to the site at build time.

The pages come from ``sigbench.cli.reference`` (the Typer app, the pydantic schema and the
model registry), so they are never files in the repository and cannot drift from the code.
"""

from __future__ import annotations

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files

from sigbench.cli.reference import cli_markdown, config_markdown

GENERATED_PAGES = {
    "reference/cli.md": cli_markdown,
    "reference/config.md": config_markdown,
}


def on_files(files: Files, config: MkDocsConfig) -> Files:
    for path, render in GENERATED_PAGES.items():
        files.append(File.generated(config, path, content=render()))
    return files
