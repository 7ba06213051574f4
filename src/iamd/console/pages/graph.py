"""Who can reach what: principals, roles, and the trust and escalation edges between them,
laid out and drawn as SVG by Graphviz (``dot``), not by hand-placed coordinates.

Trust edges come from each role's trust policy (who may assume it); escalation edges from
:mod:`iamd.analysis`'s escalation search (who can become whom, or admin, and by which
action), over the account's GetAccountAuthorizationDetails, fetched as the signed-in
principal.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import graphviz  # type: ignore[import-untyped]

from iamd.analysis.account import Account, load_account
from iamd.analysis.analyze import analyze_account
from iamd.console.http import Response
from iamd.console.page import Page
from iamd.console.routing import Router

MAX_PRINCIPALS = 400
"""Beyond this the picture is unreadable and the search slow: ``iamd analyze`` is the tool."""
ADMIN = "admin"


def register(router: Router) -> None:
    router.get("/console/graph")(graph_page)


@dataclass
class Picture:
    nodes: dict[str, tuple[str, str]] = field(default_factory=dict)
    """id -> (label, kind)."""
    edges: set[tuple[str, str, str, str]] = field(default_factory=set)
    """(from, to, label, kind)."""

    def node(self, arn: str, kind: str) -> str:
        self.nodes.setdefault(arn, (_label(arn), kind))
        return arn


def _label(arn: str) -> str:
    parts = arn.split(":", 5)
    if len(parts) == 6 and parts[5] == "root":
        return f"account {parts[4]}"
    return parts[5] if len(parts) == 6 and parts[5] else arn


def _principals(trust: Any) -> Iterable[tuple[str, str]]:
    """``(kind, value)`` for every principal a trust policy's Allow statements name."""
    if not isinstance(trust, dict):
        return
    statements = trust.get("Statement", [])
    for statement in statements if isinstance(statements, list) else [statements]:
        if not isinstance(statement, dict) or statement.get("Effect") != "Allow":
            continue
        principal = statement.get("Principal")
        if principal == "*":
            yield "AWS", "*"
            continue
        if not isinstance(principal, dict):
            continue
        for kind, values in principal.items():
            for value in values if isinstance(values, list) else [values]:
                yield str(kind), str(value)


def build_picture(account: Account) -> tuple[Picture, list[str]]:
    picture = Picture()
    for user in account.users:
        picture.node(user.arn, "user")
    for role in account.roles:
        picture.node(role.arn, "role")
        for kind, value in _principals(role.trust):
            source_kind = {"AWS": "external", "Service": "service", "Federated": "federated"}
            if kind == "AWS" and value in picture.nodes:
                source = value
            elif kind == "AWS" and re.fullmatch(r"\d{12}", value):
                source = picture.node(f"arn:aws:iam::{value}:root", "account")
            elif kind == "AWS" and value.endswith(":root"):
                source = picture.node(value, "account")
            else:
                source = picture.node(value, source_kind.get(kind, "external"))
            picture.edges.add((source, role.arn, "trusts", "trust"))
    report = analyze_account(account, max_depth=4)
    for path in report.paths:
        for step in path.steps:
            source = picture.node(step.source, "user" if ":user/" in step.source else "role")
            if step.grants:
                continue  # the next step, taking the principal over, is the edge drawn
            if step.made_admin:
                target = picture.node(ADMIN, "admin")
                picture.nodes[ADMIN] = ("admin", "admin")
            else:
                target = picture.node(step.gains, "role" if ":role/" in step.gains else "user")
            picture.edges.add((source, target, step.method, "escalation"))
    # The CLI's note about a missing --credential-report does not apply to a picture.
    return picture, [n for n in report.notes if "--credential-report" not in n]


_STYLE = {
    "user": {"shape": "box", "style": "rounded,filled", "fillcolor": "#d3e6f8"},
    "role": {"shape": "box", "style": "filled", "fillcolor": "#d6f0da"},
    "account": {"shape": "folder", "style": "filled", "fillcolor": "#fcf3c5"},
    "service": {"shape": "component", "style": "filled", "fillcolor": "#eeeeee"},
    "federated": {"shape": "cds", "style": "filled", "fillcolor": "#fde2c8"},
    "external": {"shape": "box", "style": "dashed"},
    "admin": {"shape": "doubleoctagon", "style": "filled", "fillcolor": "#f9d2cf"},
}


def draw(picture: Picture) -> str:
    """The SVG Graphviz lays out for ``picture``."""
    dot = graphviz.Digraph("access", format="svg")
    dot.attr(rankdir="LR", fontname="Helvetica", bgcolor="transparent")
    dot.attr("node", fontname="Helvetica", fontsize="11")
    dot.attr("edge", fontname="Helvetica", fontsize="9")
    ids = {arn: f"n{i}" for i, arn in enumerate(sorted(picture.nodes))}
    for arn, (label, kind) in sorted(picture.nodes.items()):
        dot.node(ids[arn], label=label, tooltip=arn, **_STYLE.get(kind, {}))
    for source, target, label, kind in sorted(picture.edges):
        attrs = {"color": "#b0261a", "fontcolor": "#b0261a"} if kind == "escalation" else {}
        dot.edge(ids[source], ids[target], label=label, **attrs)
    svg: bytes = dot.pipe(format="svg")
    text = svg.decode()
    return text[text.index("<svg") :]


def _details(page: Page) -> dict[str, Any]:
    merged: dict[str, list[Any]] = {}
    marker = None
    while True:
        result = page.call(
            "iam", "GetAccountAuthorizationDetails", {"Marker": marker, "MaxItems": 1000}
        )
        for key in ("UserDetailList", "GroupDetailList", "RoleDetailList", "Policies"):
            merged.setdefault(key, []).extend(result.get(key, []))
        marker = result.get("Marker")
        if not result.get("IsTruncated") or not marker:
            return merged


def _managed() -> Callable[[str], str | None]:
    cache: dict[str, str] = {}

    def lookup(arn: str) -> str | None:
        if not cache:
            from iamd.catalog import managed_policies

            found = managed_policies.load()
            if found is not None:
                cache.update({p.arn: p.document for p in found[1]})
        return cache.get(arn)

    return lookup


def graph_page(page: Page) -> Response:
    details = _details(page)
    count = len(details["UserDetailList"]) + len(details["RoleDetailList"])
    if count > MAX_PRINCIPALS:
        return page.render("graph.html", svg=None, notes=[], too_many=count,
                           limit=MAX_PRINCIPALS, edges=[])  # fmt: skip
    account = load_account(json.loads(json.dumps(details, default=str)), managed=_managed())
    picture, notes = build_picture(account)
    edges = sorted(
        (_label(s), label, picture.nodes[t][0], kind) for s, t, label, kind in picture.edges
    )
    try:
        svg = draw(picture)
    except graphviz.ExecutableNotFound:
        svg = None
        notes.insert(0, "The picture needs Graphviz's dot: apt-get install graphviz. "
                        "The edges are listed below.")  # fmt: skip
    return page.render(
        "graph.html", svg=svg, notes=notes, too_many=0, limit=MAX_PRINCIPALS, edges=edges
    )
