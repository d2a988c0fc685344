"""Mapping a carrier's status code to ours through the adapter's STATUS_MAP table."""
from __future__ import annotations

import logging
from typing import Mapping

from ..domain import ShipmentStatus

log = logging.getLogger(__name__)


def map_status(table: Mapping[str, ShipmentStatus], code: str, carrier: str) -> ShipmentStatus:
    """Our status for a carrier code; an undocumented code becomes EXCEPTION so a person looks at it."""
    status = table.get(code) or table.get(str(code).lower())
    if status is None:
        log.warning("%s sent an undocumented status %r; shown as an exception", carrier, code)
        return ShipmentStatus.EXCEPTION
    return status
