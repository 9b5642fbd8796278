"""The soak states a memory ceiling for every service of the local stack (a new service needs one)."""

from __future__ import annotations

from questlog_stack.services import services

from tests.chaos.scenario import PATHS
from tests.chaos.test_soak import CEILING_MIB


def test_every_service_has_a_memory_ceiling() -> None:
    names = {service.name for service in services(PATHS)}
    assert names - set(CEILING_MIB) == set(), "services without a soak memory ceiling"
    assert set(CEILING_MIB) - names == set(), "soak ceilings for services the stack does not run"
