"""Who may change a job or a lesson: the computer that made it, or the operator.

The operator is whoever sits at the server itself (a loopback address) or an in-process caller
(the CLI, the lesson feeder: client None). Without I2V_AUTH the server listens on loopback only,
so every request is the operator's; behind a trusted proxy the client is the forwarded address
(`i2v.web.security.ForwardedClient`).
"""

from __future__ import annotations

import ipaddress
from i2v.errors import Forbidden


class NotYours(Forbidden):
    """Someone other than the maker or the operator asked to change something."""


class NotYourJob(NotYours):
    """Someone other than the job's submitter or the operator asked to cancel or delete it."""


def is_operator(client: str | None) -> bool:
    if client is None:
        return True
    try:
        return ipaddress.ip_address(client).is_loopback
    except ValueError:
        return client == "localhost"


def may_change(owner: str | None, client: str | None) -> bool:
    """Whether `client` may cancel, delete or edit what `owner` made."""
    return client == owner or is_operator(client)
