"""``dutydesk serve`` without a browser: who may bind what, what the page may load.

The browser itself, signing in and the live queue, is tests/e2e/test_browser.py.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys

import pytest

from dutydesk.cli.commands.serve import checked_public_url
from dutydesk.storage.engine import url_for
from dutydesk.web.address import is_loopback, url_host
from dutydesk.web.server import TEMPLATES
from tests.conftest import DEMO_MOMENT, DemoDb

PYTHON = sys.executable
EVERY_INTERFACE = "0.0.0.0"  # noqa: S104 - the address refused or held, never served


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``python -m ARGS`` to the end, as from a shell (nothing is left listening)."""
    return subprocess.run(
        [PYTHON, "-m", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


def one_line(result: subprocess.CompletedProcess[str]) -> str:
    """The only line on stderr; nothing on stdout, no traceback."""
    assert "Traceback" not in result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("LOCALHOST", True),
        (EVERY_INTERFACE, False),
        ("::", False),
        ("10.2.0.5", False),
        ("192.168.1.20", False),
        ("duty.example.gov.cn", False),  # a name is never resolved: it may change
        ("localhost.evil.example", False),
        ("", False),
    ],
)
def test_only_loopback_stays_on_this_machine(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_an_ipv6_host_goes_into_a_url_in_brackets() -> None:
    assert url_host("::1") == "[::1]"
    assert url_host("[::1]") == "[::1]"
    assert url_host("127.0.0.1") == "127.0.0.1"
    assert url_host("localhost") == "localhost"


@pytest.mark.parametrize("host", [EVERY_INTERFACE, "10.2.0.5", "duty.example.gov.cn"])
def test_a_network_address_is_refused_without_allow_network(host: str, db_arg: str) -> None:
    result = run("dutydesk", "serve", "--db", db_arg, "--host", host)
    assert result.returncode == 2
    line = one_line(result)
    assert line.startswith("dutydesk: error: --host " + host)
    assert "--allow-network" in line and "TLS" in line


def test_a_database_nobody_can_sign_in_to_is_not_served(db_arg: str) -> None:
    result = run("dutydesk", "serve", "--db", db_arg, "--port", str(free_port()))
    assert result.returncode == 2
    assert "nobody has a PIN" in one_line(result)


def test_a_session_refuses_to_open_without_sign_in(db_arg: str) -> None:
    """The per-browser process checks again: PINs may be removed after the server started."""
    result = run("dutydesk.web.session", env={"DUTYDESK_DATABASE_URL": url_for(db_arg)})
    assert result.returncode == 2
    assert "nobody has a PIN" in one_line(result)
    assert result.stdout == ""  # the web driver's first line never came: no console


def test_allow_network_warns_in_one_line_and_a_taken_port_is_one_line_too(
    demo_db: DemoDb,
) -> None:
    database = demo_db(DEMO_MOMENT)  # on the pass's store
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        # Bound on every interface, so the server's own bind on 0.0.0.0 fails: this test
        # never serves anything to the network.
        taken.bind((EVERY_INTERFACE, 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run(
            "dutydesk", "serve", "--db", str(database), "--host", EVERY_INTERFACE,
            "--port", str(port), "--allow-network",
        )  # fmt: skip
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert lines[0].startswith("warning: --host 0.0.0.0 serves the console to the network")
    assert "TLS" in lines[0] and "proxy" in lines[0]
    assert lines[-1].startswith(f"dutydesk: error: cannot listen on 0.0.0.0 port {port}")
    assert len(lines) == 2, result.stderr


def test_the_page_names_no_other_host() -> None:
    """Every URL of our page is the server's own (static files) or inline data."""
    page = (TEMPLATES / "app_index.html").read_text(encoding="utf-8")
    assert "://" not in page
    assert "//" not in re.sub(r"<!--.*?-->|/\*.*?\*/", "", page, flags=re.S).replace("// ", ""), (
        "a protocol-relative URL"
    )
    urls = re.findall(r"""(?:href|src)=["']([^"']*)["']|url\(["']?([^"')]*)""", page)
    found = [a or b for a, b in urls]
    assert found, "no URL found: the pattern is broken"
    for url in found:
        assert url.startswith(("{{ config.static.url }}", "data:")), url
    assert "RobotoMono-VariableFont_wght.ttf" in page
    assert 'local("Noto Sans Mono CJK SC")' in page


def free_port() -> int:
    """A TCP port of 127.0.0.1 nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("https://duty.example.gov.cn", "https://duty.example.gov.cn"),
        ("https://duty.example.gov.cn/", "https://duty.example.gov.cn"),  # no //static
        ("https://gw.example.gov.cn/duty/", "https://gw.example.gov.cn/duty"),
        ("http://10.2.0.5:8080", "http://10.2.0.5:8080"),
    ],
)
def test_the_public_url_is_taken_without_its_trailing_slash(value: str, expected: str) -> None:
    assert checked_public_url(value) == expected


@pytest.mark.parametrize(
    "value", ["duty.example.gov.cn", "ftp://duty.example.gov.cn", "https://", "https://x/?a=1"]
)
def test_a_public_url_browsers_cannot_use_is_refused(value: str, db_arg: str) -> None:
    result = run(
        "dutydesk", "serve", "--db", db_arg, "--public-url", value,
        "--port", str(free_port()),
    )  # fmt: skip
    assert result.returncode == 2
    assert one_line(result).startswith(f"dutydesk: error: --public-url {value}: give the http")
