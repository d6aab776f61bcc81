"""The interface speaks Simplified Chinese and English, and the Chinese catalog stays complete.

Strings are written in English in the code and templates; the Chinese comes from
src/grassroots/locale/zh_Hans/LC_MESSAGES/django.po, compiled to django.mo next to
it (committed, so that a machine without GNU gettext still shows Chinese).

When a test here fails after you added or changed interface strings, from src/grassroots run:

    uv run grassroots makemessages -l zh_Hans --no-obsolete
    (translate the new entries in django.po, and remove any "fuzzy" flag)
    uv run grassroots compilemessages -l zh_Hans
"""

from __future__ import annotations

import ast
import io
import os
import re
import shutil
import tokenize
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils.translation.template import templatize

import grassroots

PACKAGE = Path(grassroots.__file__).resolve().parent
LOCALE = "zh_Hans"
HOW_TO_FIX = (
    "From src/grassroots run `uv run grassroots makemessages -l zh_Hans --no-obsolete`, translate the "
    "entries in locale/zh_Hans/LC_MESSAGES/django.po, then `uv run grassroots compilemessages -l zh_Hans`."
)


def catalog_dir() -> Path:
    return Path(settings.LOCALE_PATHS[0]) / LOCALE / "LC_MESSAGES"


def load_po() -> polib.POFile:
    return polib.pofile(str(catalog_dir() / "django.po"))


def live_entries(po: polib.POFile) -> list[polib.POEntry]:
    """The entries msgfmt compiles: obsolete ones (#~) are history, not part of the catalog."""
    return [entry for entry in po if not entry.obsolete]


# --- (a) every entry is translated, none is fuzzy, placeholders survive -------------------------


def test_every_message_has_a_chinese_translation_and_none_is_fuzzy():
    po = load_po()
    assert po.metadata.get("Plural-Forms", "").replace(" ", "") == "nplurals=1;plural=0;", (
        "Chinese has one plural form: the header needs 'Plural-Forms: nplurals=1; plural=0;'"
    )
    untranslated = [entry.msgid for entry in live_entries(po) if not entry.translated()]
    fuzzy = [entry.msgid for entry in live_entries(po) if "fuzzy" in entry.flags]
    assert not untranslated, f"{len(untranslated)} untranslated: {untranslated}. {HOW_TO_FIX}"
    assert not fuzzy, f"{len(fuzzy)} fuzzy (check the translation, then remove the flag): {fuzzy}"
    plural_extra = [e.msgid for e in live_entries(po) if e.msgid_plural and set(e.msgstr_plural) != {0}]
    assert not plural_extra, f"Chinese has one plural form: keep only msgstr[0] in {plural_extra}"


PLACEHOLDER = re.compile(r"%(?:\(\w+\))?[#0 +-]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]")


def placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text.replace("%%", "")))


def test_translations_keep_the_placeholders_of_the_english():
    """A lost or misspelt %(name)s breaks the page (KeyError) or drops the number from the sentence."""
    broken = []
    for entry in live_entries(load_po()):
        if entry.msgid_plural:
            expected = set(placeholders(entry.msgid_plural))
            if any(set(placeholders(text)) != expected for text in entry.msgstr_plural.values() if text):
                broken.append(entry.msgid)
        elif entry.msgstr and placeholders(entry.msgid) != placeholders(entry.msgstr):
            broken.append(entry.msgid)
    assert not broken, f"placeholders differ between English and Chinese in: {broken}"


# --- (b) the committed .mo is the compiled .po ----------------------------------------------------


def translations(entries) -> dict[tuple[str | None, str], tuple]:
    return {
        (entry.msgctxt, entry.msgid): (entry.msgstr, tuple(sorted(entry.msgstr_plural.items())))
        for entry in entries
    }


def test_committed_mo_file_is_compiled_from_the_po_file():
    po = load_po()
    mo_path = catalog_dir() / "django.mo"
    assert mo_path.exists(), f"{mo_path} is missing: run `uv run grassroots compilemessages -l zh_Hans`."
    mo = polib.mofile(str(mo_path))
    # msgfmt leaves out untranslated and fuzzy entries; the test above insists there are none.
    expected = translations(e for e in live_entries(po) if e.translated())
    compiled = translations(e for e in mo if e.msgid)
    stale = sorted(
        key[1] for key in expected.keys() | compiled.keys() if expected.get(key) != compiled.get(key)
    )
    assert not stale, (
        f"django.mo is out of date with django.po for {len(stale)} messages, e.g. {stale[:10]}. "
        "Run `uv run grassroots compilemessages -l zh_Hans` from src/grassroots and commit django.mo."
    )
    assert mo.metadata.get("Plural-Forms") == po.metadata.get("Plural-Forms")


# --- (c) every translatable string in the source is in the catalog -------------------------------
#
# Two independent extractors, so that the check runs everywhere:
# 1. Pure Python (always): Python files are parsed with `ast` and every call of a gettext
#    function with literal strings is collected; templates (.html, .txt) are first turned
#    into gettext calls by Django's own `templatize` (exactly what makemessages feeds to
#    xgettext) and those calls are read with `tokenize`.
# 2. Django's makemessages with GNU xgettext, on a copy of the package, when xgettext is
#    installed. CI installs gettext, so there both must agree with the committed catalog.


@dataclass(frozen=True)
class Message:
    msgctxt: str | None
    msgid: str
    msgid_plural: str


# The functions makemessages extracts from (xgettext's Python defaults plus Django's --keyword list),
# each with the meaning of its leading string arguments.
KEYWORDS: dict[str, tuple[str, ...]] = {
    "_": ("msgid",),
    "gettext": ("msgid",),
    "gettext_lazy": ("msgid",),
    "gettext_noop": ("msgid",),
    "ngettext": ("msgid", "msgid_plural"),
    "ngettext_lazy": ("msgid", "msgid_plural"),
    "pgettext": ("msgctxt", "msgid"),
    "pgettext_lazy": ("msgctxt", "msgid"),
    "npgettext": ("msgctxt", "msgid", "msgid_plural"),
    "npgettext_lazy": ("msgctxt", "msgid", "msgid_plural"),
}
EXTENSIONS = {".py", ".html", ".txt"}  # makemessages' defaults for the "django" domain


def source_files() -> Iterator[Path]:
    """The files makemessages reads: it skips hidden paths and the locale folders."""
    for directory, subdirectories, files in os.walk(PACKAGE):
        subdirectories[:] = sorted(d for d in subdirectories if not d.startswith(".") and d != "locale")
        for name in sorted(files):
            path = Path(directory) / name
            if path.suffix in EXTENSIONS and not name.startswith("."):
                yield path


def _string(node: ast.expr) -> str | None:
    """The text of a string literal, including "implicit" "joins" and "a" + "b"."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _string(node.left), _string(node.right)
        if left is not None and right is not None:
            return left + right
    return None


def _message(roles: tuple[str, ...], texts: list[str | None]) -> Message | None:
    values = dict(zip(roles, texts, strict=False))
    if len(texts) < len(roles) or any(values[role] is None for role in roles):
        return None
    return Message(values.get("msgctxt"), values["msgid"], values.get("msgid_plural", ""))


def python_messages(path: Path, problems: list[str]) -> Iterator[tuple[Message, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    # xgettext does not look inside f-strings: a gettext call there never reaches the catalog.
    in_fstrings = {id(n) for f in ast.walk(tree) if isinstance(f, ast.JoinedStr) for n in ast.walk(f)}
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
        if name not in KEYWORDS:
            continue
        where = f"{path.relative_to(PACKAGE)}:{node.lineno}"
        if id(node) in in_fstrings:
            problems.append(
                f"{where}: {name}() inside an f-string is invisible to makemessages, so it is never "
                "translated: compute it before the f-string."
            )
            continue
        roles = KEYWORDS[name]
        arguments = node.args[: len(roles)]
        for argument in arguments:
            formatted = isinstance(argument, ast.JoinedStr) or (
                isinstance(argument, ast.BinOp) and isinstance(argument.op, ast.Mod)
            )
            if formatted:
                problems.append(
                    f"{where}: {name}() gets a string that is formatted before it is translated, so it "
                    'can never be found in the catalog: write _("… %(name)s …") % {"name": value}.'
                )
        message = _message(roles, [_string(argument) for argument in arguments])
        if message is not None:
            yield message, where


def template_messages(path: Path) -> Iterator[tuple[Message, str]]:
    """Read the gettext calls that Django's `templatize` writes for a template's i18n tags."""
    source = templatize(path.read_text(encoding="utf-8"), origin=str(path))
    # templatize keeps the template's lines (blanked out) around the calls; indentation is noise.
    readable = "\n".join(line.lstrip() for line in source.splitlines()) + "\n"
    tokens = [
        token
        for token in tokenize.generate_tokens(io.StringIO(readable).readline)
        if token.type not in {tokenize.NL, tokenize.NEWLINE, tokenize.COMMENT}
    ]
    for index, token in enumerate(tokens[:-1]):
        if token.type != tokenize.NAME or token.string not in KEYWORDS or tokens[index + 1].string != "(":
            continue
        texts: list[str | None] = []
        for argument in tokens[index + 2 :]:
            if argument.string == ")":
                break
            if argument.type == tokenize.STRING:
                texts.append(ast.literal_eval(argument.string))
            elif argument.string != ",":
                texts.append(None)
        message = _message(KEYWORDS[token.string], texts)
        if message is not None:
            yield message, f"{path.relative_to(PACKAGE)}:{token.start[0]}"


def messages_in_source(problems: list[str]) -> dict[Message, str]:
    """Every translatable message in the package, with the first place it appears."""
    found: dict[Message, str] = {}
    for path in source_files():
        extracted = python_messages(path, problems) if path.suffix == ".py" else template_messages(path)
        for message, where in extracted:
            found.setdefault(message, where)
    # A catalog holds one entry per msgid: xgettext folds a msgid used alone into the plural entry
    # of the same msgid, and then gettext() never finds it (it is stored under the plural key).
    plurals = {(m.msgctxt, m.msgid): m for m in found if m.msgid_plural}
    for message in [m for m in found if not m.msgid_plural and (m.msgctxt, m.msgid) in plurals]:
        plural_where = found[plurals[(message.msgctxt, message.msgid)]]
        problems.append(
            f"{found.pop(message)} and {plural_where}: {message.msgid!r} is used both alone and as the "
            "singular of a plural, so the one used alone is never translated: reword one of them, "
            "or tell them apart with pgettext / {% translate ... context ... %}."
        )
    return found


def messages_in(po: polib.POFile) -> set[Message]:
    return {Message(e.msgctxt, e.msgid, e.msgid_plural or "") for e in live_entries(po)}


def messages_found_by_makemessages(tmp_path: Path, django_settings, monkeypatch) -> set[Message]:
    """Run the real makemessages (GNU xgettext) on a copy of the package and read what it found."""
    copy = tmp_path / "grassroots"
    shutil.copytree(
        PACKAGE,
        copy,
        ignore=lambda directory, names: [
            name
            for name in names
            if name in {"locale", "__pycache__"}
            or (Path(directory, name).is_file() and Path(name).suffix not in EXTENSIONS)
        ],
    )
    (copy / "locale").mkdir()
    django_settings.LOCALE_PATHS = [copy / "locale"]  # never write into the real catalog
    monkeypatch.chdir(copy)
    call_command("makemessages", locale=[LOCALE], verbosity=0)
    return messages_in(polib.pofile(str(copy / "locale" / LOCALE / "LC_MESSAGES" / "django.po")))


def _differences(
    label: str, found: set[Message], catalog: set[Message], where: dict[Message, str]
) -> list[str]:
    report = []
    missing = sorted(found - catalog, key=lambda m: m.msgid)
    stale = sorted(catalog - found, key=lambda m: m.msgid)
    if missing:
        report.append(f"{label}: {len(missing)} strings in the source are not in django.po:")
        report += [
            f"  {where.get(m, '?')}: {m.msgid!r}" + (f" [{m.msgctxt}]" if m.msgctxt else "") for m in missing
        ]
    if stale:
        report.append(f"{label}: {len(stale)} entries of django.po are no longer in the source:")
        report += [f"  {m.msgid!r}" for m in stale]
    return report


def test_the_catalog_holds_exactly_the_strings_of_the_source(tmp_path, settings, monkeypatch):
    problems: list[str] = []
    found = messages_in_source(problems)
    catalog = messages_in(load_po())
    problems += _differences("source (read by this test)", set(found), catalog, found)

    if shutil.which("xgettext"):
        by_makemessages = messages_found_by_makemessages(tmp_path, settings, monkeypatch)
        if by_makemessages != set(found):
            problems.append(
                "makemessages (GNU xgettext) does not find the same strings as this test's reader; "
                "if the catalog is right, teach the reader in tests/test_i18n.py:"
            )
            problems += _differences("makemessages", by_makemessages, catalog, found)
    elif os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
        problems.append(
            "GNU gettext is not installed: CI must install it (apt-get install -y gettext) so that the "
            "catalog is checked with Django's own makemessages."
        )
    assert not problems, "\n".join([*problems, HOW_TO_FIX])


# --- (d) the browser's language, and the language switch ----------------------------------------

SIGN_IN = {"en": "<h1>Sign in</h1>", "zh-hans": "<h1>登录</h1>"}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("accept_language", "language"),
    [
        ("en", "en"),
        ("en-GB,en;q=0.9", "en"),
        ("zh-hans", "zh-hans"),
        ("zh-CN,zh;q=0.9,en;q=0.8", "zh-hans"),  # what a browser in mainland China sends
        ("", "zh-hans"),  # nothing said: the community's language
        ("fr", "zh-hans"),
    ],
)
def test_sign_in_page_speaks_the_browsers_language(client, accept_language, language):
    response = client.get("/login/", headers={"accept-language": accept_language})
    page = response.content.decode()
    assert response.status_code == 200
    assert f'<html lang="{language}">' in page
    assert SIGN_IN[language] in page
    other = "zh-hans" if language == "en" else "en"
    assert SIGN_IN[other] not in page


@pytest.mark.django_db
def test_anyone_can_switch_the_language_before_signing_in(client):
    chinese_browser = {"accept-language": "zh-CN,zh;q=0.9"}
    assert SIGN_IN["zh-hans"] in client.get("/login/", headers=chinese_browser).content.decode()

    response = client.post("/i18n/setlang/", {"language": "en", "next": "/login/"})
    assert response.status_code == 302
    assert response.url == "/login/"
    assert SIGN_IN["en"] in client.get("/login/", headers=chinese_browser).content.decode()

    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/login/"})
    assert SIGN_IN["zh-hans"] in client.get("/login/", headers={"accept-language": "en"}).content.decode()


# --- the admin's own strings ---------------------------------------------------------------------

#: Two or more English words in a row with a capital first: what an untranslated label looks like.
ENGLISH_PHRASE = re.compile(r"\b[A-Z][a-z]+(?: [a-zA-Z]+)+\b")
#: What may stay English on an admin page: product and library names, the demo's own data.
ALLOWED_ENGLISH = {"Django", "Open311", "grassroots"}


def visible_text(html: str) -> str:
    """The text a reader sees: no scripts, styles, tags or attribute values."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    [
        "/admin/",
        "/admin/cases/case/",
        "/admin/cases/case/?status__exact=registered",
        "/admin/cases/category/",
        "/admin/people/person/",
        "/admin/accounts/signinevent/",
        "/admin/axes/accessattempt/",
        "/admin/django_tasks_database/dbtaskresult/",
        "/admin/care/carerecordaccess/",
    ],
)
def test_the_admin_speaks_chinese_too(path, admin_user, client, community, household_a):
    """14.12: "Tasks Database Backend", "Filter by", "Access attempts"... stayed English in the admin."""
    client.force_login(admin_user)
    response = client.get(path, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200, path
    leftovers = {phrase for phrase in ENGLISH_PHRASE.findall(visible_text(response.content.decode()))}
    leftovers = {phrase for phrase in leftovers if phrase.split()[0] not in ALLOWED_ENGLISH}
    assert not leftovers, f"English left on {path}: {sorted(leftovers)}. {HOW_TO_FIX}"
