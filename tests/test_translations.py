"""The Japanese and Vietnamese catalogues: complete, consistent with their English, compiled,
and up to date with the templates and the code.

When one of these fails after a change, run ``make messages``, translate the new or fuzzy
entries of ``locale/ja`` and ``locale/vi`` (see ``locale/GLOSSARY.md``), and run it again.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.conf import settings

from tests.conftest import require_service

LANGUAGES = ("ja", "vi")
LOCALE = Path(settings.BASE_DIR) / "locale"
# ``%(name)s``, ``%s``, ``%d``, ``%%`` and ``{name}``: a translation must keep every one.
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]|%[sd%]|\{[a-z_]*\}")
HTML_TAG = re.compile(r"</?[a-z]+\b")
# The same flags as the Makefile's ``messages`` target.
MAKEMESSAGES_FLAGS = [
    "--locale=ja",
    "--locale=vi",
    "--no-obsolete",
    "--no-wrap",
    "--add-location=file",
    "--ignore=.venv",
    "--ignore=staticfiles",
    "--ignore=tests",
    "--ignore=bench",
    "--ignore=node_modules",
]


def _catalogue(language: str, suffix: str = "po") -> polib.POFile | polib.MOFile:
    path = LOCALE / language / "LC_MESSAGES" / f"django.{suffix}"
    return polib.pofile(str(path)) if suffix == "po" else polib.mofile(str(path))


def _key(entry: polib.POEntry | polib.MOEntry) -> tuple[str | None, str]:
    return entry.msgctxt, entry.msgid


def _translations(entry: polib.POEntry) -> list[str]:
    return list(entry.msgstr_plural.values()) if entry.msgid_plural else [entry.msgstr]


def _placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text))


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_entry_is_translated_and_checked(language):
    catalogue = _catalogue(language)
    assert len(catalogue) > 300
    untranslated = [entry.msgid for entry in catalogue if not all(_translations(entry))]
    fuzzy = [entry.msgid for entry in catalogue if "fuzzy" in entry.flags]
    obsolete = [entry.msgid for entry in catalogue.obsolete_entries()]
    assert not untranslated, f"{language}: untranslated: {untranslated}"
    assert not fuzzy, f"{language}: fuzzy (check, then remove the flag): {fuzzy}"
    assert not obsolete, f"{language}: obsolete entries (run make messages): {obsolete}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_translations_keep_placeholders_and_markup(language):
    problems = []
    for entry in _catalogue(language):
        sources = [entry.msgid, entry.msgid_plural] if entry.msgid_plural else [entry.msgid]
        expected = _placeholders(sources[-1])
        for translation in _translations(entry):
            if _placeholders(translation) != expected:
                problems.append(f"{entry.msgid!r}: {translation!r} (placeholders)")
            if sorted(HTML_TAG.findall(translation)) != sorted(HTML_TAG.findall(entry.msgid)):
                problems.append(f"{entry.msgid!r}: {translation!r} (HTML tags)")
            if translation == entry.msgid and re.search(r"[a-z]{3,} [a-z]{3,}", translation):
                problems.append(f"{entry.msgid!r}: left in English")
    assert not problems, f"{language}:\n" + "\n".join(problems)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_compiled_catalogue_matches_its_source(language):
    """The committed .mo is what the product loads; running it needs no GNU gettext."""
    compiled = {_key(entry): entry for entry in _catalogue(language, "mo") if entry.msgid}
    for entry in _catalogue(language):
        loaded = compiled.get(_key(entry))
        assert loaded is not None, f"{language}: {entry.msgid!r} is not compiled: make messages"
        assert _translations(loaded) == _translations(entry), (
            f"{language}: {entry.msgid!r} differs in the .mo: make messages"
        )


def test_the_catalogues_are_up_to_date_with_templates_and_code(tmp_path):
    """makemessages on a copy of the project finds exactly the committed msgids."""
    require_service(shutil.which("xgettext") is not None, "GNU gettext (xgettext)")
    root = Path(settings.BASE_DIR)
    copy = tmp_path / "project"
    shutil.copytree(
        root,
        copy,
        ignore=shutil.ignore_patterns(
            ".git",
            ".venv",
            "staticfiles",
            "node_modules",
            "__pycache__",
            "*.sqlite3",
            ".*cache",
            "screenshots",
        ),
    )
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", *MAKEMESSAGES_FLAGS],
        cwd=copy,
        check=True,
        capture_output=True,
        env={"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "citymatch.settings"},
    )
    for language in LANGUAGES:
        # GNU gettext's own check: every python-format entry keeps its directives.
        subprocess.run(
            [
                "msgfmt",
                "--check-format",
                "-o",
                "/dev/null",
                str(LOCALE / language / "LC_MESSAGES" / "django.po"),
            ],
            check=True,
            capture_output=True,
        )
        fresh = polib.pofile(str(copy / "locale" / language / "LC_MESSAGES" / "django.po"))
        committed = _catalogue(language)
        fresh_keys = {_key(entry) for entry in fresh}
        committed_keys = {_key(entry) for entry in committed}
        assert not fresh_keys - committed_keys, (
            f"{language}: new strings to translate (make messages): "
            f"{sorted(map(str, fresh_keys - committed_keys))}"
        )
        assert not committed_keys - fresh_keys, (
            f"{language}: strings no longer used (make messages): "
            f"{sorted(map(str, committed_keys - fresh_keys))}"
        )
        fuzzy = [entry.msgid for entry in fresh if "fuzzy" in entry.flags]
        assert not fuzzy, f"{language}: changed strings to check (make messages): {fuzzy}"
