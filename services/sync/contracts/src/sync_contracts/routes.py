"""Catalogued operations the sync service serves: the gateway forwards them with the catalogue's scope checks,
validating the body and query models named here first (see junction_common.contracts.operations).

Found by the gateway through the `junction.operations` entry points (this package's pyproject). An operation not
listed here answers 501 at the gateway.
"""

from __future__ import annotations

from junction_common.contracts.operations import Served

SERVED: list[Served] = []
