"""Load a theme from ``themes/`` as a value: its templates' text and its static files' bytes.

The user's theme overrides the default theme file by file, and falls back to it for the rest.
Loading is the only step that reads the theme from disk; rendering then works on this value.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from digest.config import Config
from digest.errors import ThemeError, display_path

MAX_THEME_FILE_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Theme:
    name: str
    templates: dict[str, str]
    """Template name (``article.html``) -> source text."""
    origins: dict[str, str]
    """Template name -> the file it came from, for error messages."""
    static: dict[str, bytes]
    """Path under ``static/`` -> bytes."""


def theme_folders(config: Config) -> list[Path]:
    """The default theme first, then the chosen theme, whose files win."""
    themes = config.root / "themes"
    return [themes / "default"] if config.theme == "default" else [themes / "default", themes / config.theme]


def _files(folder: Path) -> list[tuple[str, Path]]:
    """Plain files under ``folder`` (no hidden files, no symlinks), by relative POSIX path."""
    if not folder.is_dir():
        return []
    return [
        (path.relative_to(folder).as_posix(), path)
        for path in sorted(folder.rglob("*"))
        if path.is_file() and not path.is_symlink() and not any(part.startswith(".") for part in path.parts)
        and path.stat().st_size <= MAX_THEME_FILE_BYTES
    ]


def load_theme(config: Config) -> Theme:
    chosen = config.root / "themes" / config.theme
    default = config.root / "themes" / "default" / "templates"
    if config.theme == "default":
        if not default.is_dir():
            raise ThemeError("theme 'default' has no templates folder", path=chosen,
                             hint="run digest in the project folder, where config.yaml and themes/ are")
    elif not chosen.is_dir():
        raise ThemeError(f"no theme '{config.theme}': there is no such folder", path=chosen,
                         hint=f"create themes/{config.theme} (its templates/ and static/), or set 'theme: default'")
    # Any other theme takes from the default what it lacks: a static/style.css alone is a theme,
    # as long as there is a default to take the templates from.
    elif not (chosen / "templates").is_dir() and not ((chosen / "static").is_dir() and default.is_dir()):
        raise ThemeError(f"theme '{config.theme}' has no templates folder"
                         + ("" if default.is_dir() else ", and there is no themes/default to take them from"),
                         path=chosen, hint=f"create themes/{config.theme}/templates, or set 'theme: default'")
    templates: dict[str, str] = {}
    origins: dict[str, str] = {}
    static: dict[str, bytes] = {}
    for folder in theme_folders(config):
        for name, path in _files(folder / "templates"):
            try:
                templates[name] = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as error:
                raise ThemeError(f"cannot read template: {error}", path=path, hint="save it as UTF-8") from None
            origins[name] = display_path(path)
        for name, path in _files(folder / "static"):
            static[name] = path.read_bytes()
    return Theme(config.theme, templates, origins, static)
