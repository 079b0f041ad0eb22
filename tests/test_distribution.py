"""Tests of what HACS, hassfest and users see of the repository: metadata that must agree."""

from __future__ import annotations

import ast
from datetime import date
import json
from pathlib import Path
import re
import string
import subprocess
import sys
import tomllib
from typing import Any, Final

from awesomeversion import AwesomeVersion
import pytest

from custom_components.tatango_sms.const import DOMAIN
from custom_components.tatango_sms.tatango.outcome import FAILURES_BY_SEVERITY
from homeassistant.const import __version__ as HA_VERSION
from homeassistant.util.yaml import load_yaml_dict

ROOT: Final = Path(__file__).parent.parent
COMPONENT: Final = ROOT / "custom_components" / DOMAIN
REPOSITORY: Final = "https://github.com/tatango-sms/ha-tatango-sms"

MANIFEST_REQUIRED: Final = {
    "domain",
    "name",
    "codeowners",
    "documentation",
    "issue_tracker",
    "iot_class",
    "version",
}
MANIFEST_ALLOWED: Final = MANIFEST_REQUIRED | {
    "after_dependencies",
    "bluetooth",
    "config_flow",
    "dependencies",
    "dhcp",
    "homekit",
    "integration_type",
    "loggers",
    "mqtt",
    "quality_scale",
    "requirements",
    "single_config_entry",
    "ssdp",
    "usb",
    "zeroconf",
}
"""Keys hassfest accepts in a custom integration's manifest (categories and connectivity left out)."""
HACS_ALLOWED: Final = {
    "name",
    "content_in_root",
    "country",
    "filename",
    "hacs",
    "hide_default_branch",
    "homeassistant",
    "persistent_directory",
    "render_readme",
    "zip_release",
}
RELEASE_HEADING: Final = re.compile(
    r"^## \[(?P<version>\d+\.\d+\.\d+)\] - (?P<date>\d{4}-\d{2}-\d{2})$", re.MULTILINE
)


def read_json(path: Path) -> Any:
    """Return a JSON file's content."""
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    """Return the integration's manifest."""
    return read_json(COMPONENT / "manifest.json")  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def hacs() -> dict[str, Any]:
    """Return hacs.json."""
    return read_json(ROOT / "hacs.json")  # type: ignore[no-any-return]


# Versions


def test_changelog_agrees_with_manifest(manifest: dict[str, Any]) -> None:
    """The newest release in CHANGELOG.md is the manifest's version, dated and linked."""
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert changelog.startswith("# Changelog\n")
    assert "## [Unreleased]" in changelog
    releases = list(RELEASE_HEADING.finditer(changelog))
    assert releases, "CHANGELOG.md has no '## [x.y.z] - YYYY-MM-DD' release heading"
    newest = releases[0]
    assert newest["version"] == manifest["version"]
    date.fromisoformat(newest["date"])
    versions = [AwesomeVersion(release["version"]) for release in releases]
    assert versions == sorted(versions, reverse=True), "releases are not newest first"
    for release in releases:
        assert re.search(
            rf"^\[{re.escape(release['version'])}\]: {re.escape(REPOSITORY)}/",
            changelog,
            re.MULTILINE,
        ), f"no link for {release['version']}"


def test_pyproject_agrees_with_manifest(manifest: dict[str, Any]) -> None:
    """pyproject.toml carries the same version."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert pyproject["project"]["version"] == manifest["version"]


def test_minimum_home_assistant_versions(hacs: dict[str, Any]) -> None:
    """The tested Home Assistant is at least the declared minimum, and the blueprints need no newer one."""
    minimum = AwesomeVersion(hacs["homeassistant"])
    assert AwesomeVersion(HA_VERSION) >= minimum
    for path in (ROOT / "blueprints").rglob("*.yaml"):
        blueprint = load_yaml_dict(path)["blueprint"]
        assert AwesomeVersion(blueprint["homeassistant"]["min_version"]) <= minimum


# manifest.json


def test_manifest_key_order(manifest: dict[str, Any]) -> None:
    """Keys are domain, name, then alphabetical, as hassfest requires."""
    keys = list(manifest)
    assert keys[:2] == ["domain", "name"]
    assert keys[2:] == sorted(keys[2:])


def test_manifest_keys(manifest: dict[str, Any]) -> None:
    """Every required key is there and no key is unknown to hassfest."""
    assert set(manifest) >= MANIFEST_REQUIRED
    assert set(manifest) <= MANIFEST_ALLOWED
    assert manifest["domain"] == DOMAIN
    assert manifest["documentation"].startswith("https://")
    assert manifest["issue_tracker"].startswith("https://")
    assert re.fullmatch(r"\d+\.\d+\.\d+", manifest["version"])
    assert manifest["codeowners"]
    assert all(owner.startswith("@") for owner in manifest["codeowners"])


# hacs.json


def test_hacs_keys(hacs: dict[str, Any], manifest: dict[str, Any]) -> None:
    """hacs.json has a name and only keys HACS allows."""
    assert hacs["name"] == manifest["name"]
    assert set(hacs) <= HACS_ALLOWED


# Translations and actions


def test_strings_match_english_translation() -> None:
    """strings.json and translations/en.json are the same (custom integrations load only the latter)."""
    assert read_json(COMPONENT / "strings.json") == read_json(
        COMPONENT / "translations" / "en.json"
    )


def test_strings_are_usable_at_runtime() -> None:
    """No [%key:...] references (not resolved for custom integrations) and no literal URLs."""

    def texts(node: Any) -> list[str]:
        if isinstance(node, dict):
            return [text for value in node.values() for text in texts(value)]
        return [node] if isinstance(node, str) else []

    for text in texts(read_json(COMPONENT / "strings.json")):
        assert "[%key:" not in text
        assert not re.search(r"https?://", text), text


def test_services_match_strings_and_icons() -> None:
    """Every action in services.yaml has translated names for it and each field, and an icon."""
    services = load_yaml_dict(COMPONENT / "services.yaml")
    strings = read_json(COMPONENT / "strings.json").get("services", {})
    icons = read_json(COMPONENT / "icons.json").get("services", {})

    assert set(strings) == set(services)
    assert set(icons) == set(services)
    for name, service in services.items():
        translated = strings[name]
        assert translated["name"]
        assert translated["description"]
        fields = set((service or {}).get("fields", {}))
        assert set(translated.get("fields", {})) == fields, name
        for field in fields:
            assert translated["fields"][field]["name"], (name, field)
            assert translated["fields"][field]["description"], (name, field)


def _translation_uses() -> list[tuple[str, str, set[str] | None]]:
    """Return (call, translation key, placeholder names) of every translated call in the code.

    A key built from an f-string is one per failure outcome (send_failed_...).
    Placeholder names are None where they are not a dict literal.
    """
    uses = []
    for path in COMPONENT.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call):
                continue
            kwargs = {kw.arg: kw.value for kw in node.keywords}
            if (key := kwargs.get("translation_key")) is None:
                continue
            call = ast.unparse(node.func)
            placeholders = kwargs.get("translation_placeholders")
            if placeholders is None:
                names: set[str] | None = set()
            elif isinstance(placeholders, ast.Dict) and None not in placeholders.keys:
                names = {ast.literal_eval(k) for k in placeholders.keys if k}
            else:
                names = None  # a spread (**extra): names decided at run time
            if isinstance(key, ast.JoinedStr):
                prefix = ast.literal_eval(key.values[0])
                uses += [(call, f"{prefix}{o}", names) for o in FAILURES_BY_SEVERITY]
            elif isinstance(key, ast.Constant):
                uses.append((call, key.value, names))
    return uses


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_translation_the_code_uses_exists_with_its_placeholders() -> None:
    """Each translation key the code raises or shows exists, with exactly the placeholders passed."""
    strings = read_json(COMPONENT / "strings.json")
    uses = _translation_uses()
    checked = 0
    for call, key, names in uses:
        if call.endswith("async_create_issue"):
            issue = strings["issues"][key]
            texts = [issue["title"], *_all_strings(issue.get("fix_flow", {}))]
            texts.append(issue.get("description", ""))
        elif call == "SelectSelectorConfig":
            assert strings["selector"][key]["options"], key
            continue
        else:  # an exception, raised or built by a subclass
            texts = [strings["exceptions"][key]["message"]]
        if names is not None:
            assert set().union(*map(_fields, texts)) == names, (call, key)
        checked += 1
    # send_failed_<outcome> for every failure, and the fixed keys beside it.
    assert checked >= len(FAILURES_BY_SEVERITY) + 8


def test_no_translation_is_unused() -> None:
    """Every exception translation is one the code raises or reads."""
    used = {key for _, key, _ in _translation_uses()} | {
        node.value
        for path in COMPONENT.rglob("*.py")
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    }
    assert set(read_json(COMPONENT / "strings.json")["exceptions"]) <= used


def _all_strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [text for child in value.values() for text in _all_strings(child)]
    return []


def test_protocol_package_imports_no_home_assistant() -> None:
    """The protocol package loads in a fresh interpreter without any homeassistant module."""
    code = (
        "import sys\n"
        "import tatango, tatango.gateway, tatango.mo, tatango.phone\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'homeassistant'))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=COMPONENT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == "[]"
    assert "homeassistant" not in "".join(
        path.read_text() for path in (COMPONENT / "tatango").glob("*.py")
    )
