"""Typed FastAPI dependencies: routes receive services, never build them."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from i2v.web.pools import Pools
from i2v.web.services import Services


def get_services(request: Request) -> Services:
    return request.app.state.services


def get_pools(request: Request) -> Pools:
    return request.app.state.pools


def client_id(request: Request) -> str:
    """Who is asking, for per-client queue limits and ownership: the address, which behind a trusted
    proxy is the forwarded one (`security.ForwardedClient`); behind auth, every user is trusted."""
    return request.client.host if request.client else "unknown"


ServicesDep = Annotated[Services, Depends(get_services)]
PoolsDep = Annotated[Pools, Depends(get_pools)]
ClientDep = Annotated[str, Depends(client_id)]
