# ruff: noqa: INP001
"""Run a real Home Assistant with this repository's integration (scripts/develop, scripts/demo).

Runs inside the Home Assistant environment that ``scripts/lib.sh``
(``prepare_ha``) builds. Command line, used by lib.sh::

    python scripts/ha_env.py install    # install what is missing (normally nothing)
    python scripts/ha_env.py requirements [--missing]

and, imported by ``develop.py`` and ``demo.py``: the configuration directory,
the HTTP settings, and starting and stopping Home Assistant and the gateway
simulator.

Home Assistant installs the requirements of every integration it loads, and of
their dependencies and after-dependencies, at run time. Installed beforehand,
start-up neither waits on nor depends on the package index; the list is
worked out here from Home Assistant's own manifests: the integrations every
start loads, the configuration's, the ones onboarding sets up, the login's
MFA modules, and the custom integrations of this repository with everything
they depend on (``after_dependencies: ["cloud"]`` alone pulls in a few dozen).
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
import contextlib
from datetime import UTC, datetime
import json
import os
from pathlib import Path
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

ROOT = Path(__file__).resolve().parent.parent
CUSTOM_COMPONENTS = ROOT / "custom_components"
SKIP_PIP_FILE = Path(sys.prefix) / "skip-pip-packages"
ULID_PURE_FILE = Path(sys.prefix) / "ulid-transform-pure"  # its rebuild failed once

# Integrations set up besides bootstrap's defaults: the minimal configuration's,
# what onboarding's core_config step starts, the voice pipeline (imported while
# the frontend loads its list of actions) and the Supervisor's (imported here
# and there even without a Supervisor).
EXTRA_DOMAINS = (
    "config",
    "frontend",
    "http",
    "logger",
    "google_translate",
    "met",
    "radio_browser",
    "shopping_list",
    "assist_pipeline",
    "hassio",
)
# Built with a C++ compiler for Python 3.14 (no wheels). Where that fails, the
# abi3 wheels of later versions are installed instead and Home Assistant is
# told to leave these alone (--skip-pip-packages): only the import matters.
# Not requirements, but without them Home Assistant warns that its HTTP
# compression falls back to the slow zlib (its container image has them).
SPEEDUPS = ("isal", "zlib-ng")
FALLBACK_WHEELS = {
    "pymicro-vad": "pymicro-vad==2.1.0",
    "pyspeex-noise": "pyspeex-noise==2.0.1",
}


def _manifest(path: Path) -> dict[str, object]:
    manifest: dict[str, object] = json.loads(path.read_text(encoding="utf-8"))
    return manifest


def _str_list(manifest: dict[str, object], key: str) -> list[str]:
    value = manifest.get(key, [])
    return [str(item) for item in value] if isinstance(value, list) else []


def requirements() -> list[str]:
    """Return every requirement Home Assistant may process here, with Home Assistant's pins."""
    import homeassistant  # noqa: PLC0415
    from homeassistant import bootstrap  # noqa: PLC0415
    from homeassistant.auth.mfa_modules import notify, totp  # noqa: PLC0415
    from homeassistant.requirements import DISCOVERY_INTEGRATIONS  # noqa: PLC0415

    components = Path(homeassistant.__file__).parent / "components"
    found = dict.fromkeys([*totp.REQUIREMENTS, *notify.REQUIREMENTS, *SPEEDUPS])
    todo = [
        *bootstrap.CORE_INTEGRATIONS,
        *bootstrap.DEFAULT_INTEGRATIONS,
        *EXTRA_DOMAINS,
    ]
    todo += [p.parent.name for p in CUSTOM_COMPONENTS.glob("*/manifest.json")]
    seen: set[str] = set()
    while todo:
        domain = todo.pop()
        if domain in seen:
            continue
        seen.add(domain)
        path = CUSTOM_COMPONENTS / domain / "manifest.json"
        if not path.is_file():
            path = components / domain / "manifest.json"
        if not path.is_file():
            continue  # an after-dependency that does not exist is allowed
        manifest = _manifest(path)
        found.update(dict.fromkeys(_str_list(manifest, "requirements")))
        todo += _str_list(manifest, "dependencies")
        todo += _str_list(manifest, "after_dependencies")
        todo += [
            discovery
            for discovery, keys in DISCOVERY_INTEGRATIONS.items()
            if any(key in manifest for key in keys)
        ]
    return sorted(found, key=str.lower)


def missing_requirements() -> list[str]:
    """Return the requirements Home Assistant would try to install."""
    from homeassistant.util.package import is_installed  # noqa: PLC0415

    skipped = set(skip_pip_packages())
    return [
        req
        for req in requirements()
        if not is_installed(req) and req.split("==")[0] not in skipped
    ]


def skip_pip_packages() -> list[str]:
    """Return the packages Home Assistant must not try to install (see FALLBACK_WHEELS)."""
    if not SKIP_PIP_FILE.is_file():
        return []
    return SKIP_PIP_FILE.read_text(encoding="utf-8").split()


def _pip(*args: str) -> bool:
    import homeassistant  # noqa: PLC0415

    constraints = Path(homeassistant.__file__).parent / "package_constraints.txt"
    command = [
        sys.executable,
        "-m",
        "pip",
        "install",
        "-q",
        "--disable-pip-version-check",
    ]
    return (
        subprocess.run(
            [*command, "-c", str(constraints), *args], check=False
        ).returncode
        == 0
    )


def _ensure_compiled_ulid() -> None:
    """Rebuild ulid-transform from source if its installed wheel lacks the C++ extension.

    Every event and state change makes a ULID; the wheel some package indexes
    serve for Python 3.14 is a pure-Python build, which makes each of them
    slower than in Home Assistant's container image.
    """
    import importlib  # noqa: PLC0415
    import importlib.metadata  # noqa: PLC0415
    import importlib.util  # noqa: PLC0415

    if ULID_PURE_FILE.is_file() or importlib.util.find_spec(
        "ulid_transform._ulid_impl"
    ):
        return
    version = importlib.metadata.version("ulid-transform")
    print(
        f">> building ulid-transform {version} with its C++ extension", file=sys.stderr
    )
    rebuilt = _pip(
        "--no-deps",
        "--force-reinstall",
        "--no-cache-dir",
        "--no-binary",
        "ulid-transform",
        f"ulid-transform=={version}",
    )
    importlib.invalidate_caches()
    if not rebuilt or not importlib.util.find_spec("ulid_transform._ulid_impl"):
        print(">> no C++ compiler? ulid-transform stays pure Python", file=sys.stderr)
        ULID_PURE_FILE.touch()


def install() -> int:
    """Install whatever is missing; return an exit status."""
    _ensure_compiled_ulid()
    missing = missing_requirements()
    if not missing:
        return 0
    print(
        f">> installing {len(missing)} packages Home Assistant would otherwise install at run time",
        file=sys.stderr,
    )
    if _pip(*missing):
        return 0
    # Most likely a source build failed: install the rest, then the fallbacks.
    rest = [req for req in missing if req.split("==")[0] not in FALLBACK_WHEELS]
    if rest and not _pip(*rest):
        return 1
    fallback = [req for req in missing if req.split("==")[0] in FALLBACK_WHEELS]
    if fallback:
        print(
            ">> no C++ compiler? using the abi3 wheels of " + ", ".join(fallback),
            file=sys.stderr,
        )
        if not _pip(
            "--no-deps", *(FALLBACK_WHEELS[req.split("==")[0]] for req in fallback)
        ):
            return 1
        names = {*skip_pip_packages(), *(req.split("==")[0] for req in fallback)}
        SKIP_PIP_FILE.write_text(" ".join(sorted(names)) + "\n", encoding="utf-8")
    return 0 if not missing_requirements() else 1


# Configuration


def prepare_config(config_dir: Path, port: int, host: str = "127.0.0.1") -> None:
    """Make config_dir ready to run: the integration linked in, HTTP on host:port.

    The integration is a relative symbolic link, valid wherever the repository
    is mounted. HTTP is set the way ``http/config/configure`` followed by
    ``http/config/promote`` leaves it (Home Assistant's own storage), because
    an ``http:`` block in configuration.yaml is only a trial in 2026.11: it is
    reverted, with a restart, 5 minutes later unless someone confirms it.
    """
    links = config_dir / "custom_components"
    links.mkdir(parents=True, exist_ok=True)
    for component in CUSTOM_COMPONENTS.glob("*/manifest.json"):
        link = links / component.parent.name
        target = os.path.relpath(component.parent, links)
        if link.is_symlink() and str(link.readlink()) == target:
            continue
        if link.is_symlink() or link.exists():
            raise SystemExit(
                f"{link} exists and is not a link to {component.parent}: remove it"
            )
        link.symlink_to(target, target_is_directory=True)
    seed_http_config(config_dir, host, port)


def seed_http_config(config_dir: Path, host: str, port: int) -> None:
    """Store a confirmed HTTP configuration, unless one is stored already."""
    store = config_dir / ".storage" / "http"
    if store.exists():
        return
    from homeassistant.components.http import config as http_config  # noqa: PLC0415

    stable = dict(
        http_config.HTTP_STORAGE_SCHEMA({"server_host": [host], "server_port": port})
    )
    stable.update(
        created_at=datetime.now(UTC).isoformat(), error=None, error_message=None
    )
    store.parent.mkdir(parents=True, exist_ok=True)
    store.write_text(
        json.dumps(
            {
                "version": http_config.STORAGE_VERSION,
                "minor_version": http_config.STORAGE_MINOR_VERSION,
                "key": http_config.STORAGE_KEY,
                "data": {
                    http_config.KEY_STABLE: stable,
                    http_config.KEY_PENDING: None,
                    http_config.KEY_YAML_MIGRATION_DONE: True,
                },
            },
            indent=2,
            default=str,  # the SSL profile is a StrEnum
        ),
        encoding="utf-8",
    )
    store.chmod(0o600)


# Processes


def _die_with_parent() -> None:
    """Have the child killed when the supervising process dies (Linux)."""
    with contextlib.suppress(Exception):
        import ctypes  # noqa: PLC0415

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def spawn(
    args: Sequence[str], *, output: Path | None = None
) -> subprocess.Popen[bytes]:
    """Start a child in its own session (signals reach it only through us)."""
    stdout = output.open("ab") if output is not None else None
    try:
        return subprocess.Popen(
            args,
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=stdout,
            stderr=subprocess.STDOUT if stdout else None,
            start_new_session=True,
            preexec_fn=_die_with_parent,  # noqa: PLW1509
        )
    finally:
        if stdout is not None:
            stdout.close()


def start_simulator(
    port: int, key: str, password: str, *, output: Path | None = None
) -> subprocess.Popen[bytes]:
    """Start the gateway simulator on 127.0.0.1:port."""
    return spawn(
        [
            sys.executable, "-m", "tatango_simulator",
            "--host", "127.0.0.1", "--port", str(port), "--key", key, "--password", password,
        ],
        output=output,
    )  # fmt: skip


def start_home_assistant(
    config_dir: Path, *, output: Path | None = None
) -> subprocess.Popen[bytes]:
    """Start Home Assistant on config_dir."""
    args = [sys.executable, "-m", "homeassistant", "--config", str(config_dir)]
    if skipped := skip_pip_packages():
        args += ["--skip-pip-packages", ",".join(skipped)]
    return spawn(args, output=output)


def port_free(port: int, host: str = "127.0.0.1") -> bool:
    """Return whether host:port can be bound (as servers do, with SO_REUSEADDR)."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def wait_until_serving(
    url: str, processes: Mapping[str, subprocess.Popen[bytes]], timeout: float
) -> None:
    """Wait until GET url answers 200; raise if a process ends or time runs out."""
    deadline = time.monotonic() + timeout
    while True:
        for name, process in processes.items():
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited with status {process.returncode}")
        with (
            contextlib.suppress(OSError, urllib.error.URLError),
            urllib.request.urlopen(url, timeout=2) as response,  # noqa: S310
        ):
            if response.status == 200:
                return
        if time.monotonic() > deadline:
            raise RuntimeError(f"{url} did not answer within {timeout:.0f} s")
        time.sleep(0.2)


def stop(process: subprocess.Popen[bytes], timeout: float = 30) -> int:
    """Stop a child gracefully (SIGTERM), forcefully after timeout; return its status."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    return process.returncode


def main(argv: list[str] | None = None) -> int:
    """Command line for scripts/lib.sh."""
    parser = argparse.ArgumentParser(prog="ha_env.py")
    sub = parser.add_subparsers(dest="command", required=True)
    listing = sub.add_parser(
        "requirements", help="list what Home Assistant may install"
    )
    listing.add_argument(
        "--missing", action="store_true", help="only what is not installed"
    )
    sub.add_parser("install", help="install whatever is missing")
    args = parser.parse_args(argv)
    if args.command == "install":
        return install()
    print("\n".join(missing_requirements() if args.missing else requirements()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
