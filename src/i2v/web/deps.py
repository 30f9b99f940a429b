"""Typed FastAPI dependencies: routes receive services, never build them."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from i2v.web.services import Services


def get_services(request: Request) -> Services:
    return request.app.state.services


def client_id(request: Request) -> str:
    """Who is asking, for per-client queue limits: the address (behind auth, every user is trusted)."""
    return request.client.host if request.client else "unknown"


ServicesDep = Annotated[Services, Depends(get_services)]
ClientDep = Annotated[str, Depends(client_id)]
