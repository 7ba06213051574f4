"""One module per family of pages; each registers its routes."""

from __future__ import annotations

from iamd.console.pages import (
    analyzer,
    dashboard,
    events,
    graph,
    groups,
    policies,
    reports,
    roles,
    simulator,
    switch_role,
    users,
)
from iamd.console.routing import Router


def register_all(router: Router) -> None:
    for module in (
        dashboard,
        users,
        groups,
        roles,
        policies,
        switch_role,
        simulator,
        reports,
        analyzer,
        events,
        graph,
    ):
        module.register(router)
