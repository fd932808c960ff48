"""Which addresses ``dutydesk serve`` may bind without being told to reach the network."""

from __future__ import annotations

import ipaddress

LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})
"""Names every system maps to the loopback interface (and nothing else)."""


def is_loopback(host: str) -> bool:
    """True if ``host`` is reachable only from this machine (127.0.0.0/8, ::1, localhost).

    Anything else (a LAN address, ``0.0.0.0``, ``::``, a host name) may be reached from
    the network: names are not resolved here, since a name's address can change after
    the check, and an office that means the network says so with ``--allow-network``.
    """
    bare = host.strip().strip("[]").lower()
    if bare in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(bare).is_loopback
    except ValueError:
        return False


def url_host(host: str) -> str:
    """``host`` as it goes into a URL: an IPv6 address in brackets."""
    bare = host.strip().strip("[]")
    try:
        return f"[{bare}]" if ipaddress.ip_address(bare).version == 6 else bare
    except ValueError:
        return bare
