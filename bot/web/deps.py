"""HTTP edges of the case store; shared FastAPI dependencies live here so routers stay small."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from ipaddress import (
    IPv4Address,
    IPv4Network,
    IPv6Address,
    IPv6Network,
    ip_address,
    ip_network,
)

from fastapi import Request

from bot.casework.store import CaseStore, open_store
from bot.config import Settings, get_settings

logger = logging.getLogger(__name__)


def app_settings(request: Request) -> Settings:
    """The settings the app was built with (tests pass their own)."""
    settings = getattr(request.app.state, "settings", None)
    return settings if isinstance(settings, Settings) else get_settings()


def case_store(request: Request) -> CaseStore:
    """The app's store; built from settings on first use, so nothing connects at import or start."""
    store = getattr(request.app.state, "store", None)
    if isinstance(store, CaseStore):
        return store
    store = open_store()  # StoreUnavailable (503) when it cannot even be built
    request.app.state.store = store
    return store


def _ip(value: str) -> IPv4Address | IPv6Address | None:
    try:
        ip = ip_address(value.strip().strip("[]"))
    except ValueError:
        return None
    if isinstance(ip, IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


def _networks(entries: Sequence[str]) -> list[IPv4Network | IPv6Network]:
    nets: list[IPv4Network | IPv6Network] = []
    for entry in entries:
        try:
            nets.append(ip_network(entry.strip(), strict=False))
        except ValueError:
            logger.warning("GW_TRUSTED_PROXIES: %r is not an address or network, ignored", entry)
    return nets


def client_address(peer: str, forwarded: str, trusted: Sequence[str]) -> str:
    """The client's address, as throttling and the audit count it.

    X-Forwarded-For is believed only when the peer is one of our reverse proxies
    (GW_TRUSTED_PROXIES, addresses or networks); then the rightmost hop that is not a proxy of
    ours is the client (hops further left are whatever the client chose to write). An IPv6
    client is its /64: one host usually owns the whole network.
    """
    nets = _networks(trusted)

    def is_proxy(ip: IPv4Address | IPv6Address) -> bool:
        return any(ip.version == net.version and ip in net for net in nets)

    current = _ip(peer)
    if current is None:
        return peer  # not an IP address (a test client, a Unix socket): count it as it is
    if forwarded and is_proxy(current):
        for hop in reversed(forwarded.split(",")):
            ip = _ip(hop)
            if ip is None:
                break
            current = ip
            if not is_proxy(ip):
                break
    if isinstance(current, IPv6Address):
        return str(ip_network(f"{current}/64", strict=False))
    return str(current)


def request_address(request: Request) -> str:
    """`client_address` of a request, with the app's trusted proxies."""
    peer = request.client.host if request.client else ""
    forwarded = request.headers.get("x-forwarded-for", "")
    return client_address(peer, forwarded, app_settings(request).trusted_proxies)
