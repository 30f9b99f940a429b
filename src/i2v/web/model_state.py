"""The one answer to "is the model ready?", read by both `/api/v1/health` and the studio's header,
so the two never disagree: both ask the services' `ModelCatalog` (`i2v.engine.catalog`).

On one machine it is the default model's state, unless the server switched to another family for a
job (an LTX clip unloads I2VGen-XL): then the resident model is what is ready. With GPU workers on
other machines (I2V_BROKER) this server loads no model: the default model is ready while a live
worker of its family is connected (`i2v.jobs.broker_catalog`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from i2v.engine.catalog import ModelReport

if TYPE_CHECKING:
    from i2v.web.services import Services

__all__ = ["ModelReport", "model_report"]


def model_report(services: Services) -> ModelReport:
    """The state `/api/v1/health` reports and the studio's header shows."""
    return services.catalog.report()
