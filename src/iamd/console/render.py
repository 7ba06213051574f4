"""Jinja2 templates shipped as package data, autoescaped: every value a page shows is text."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from urllib.parse import quote

from jinja2 import Environment, PackageLoader, select_autoescape


def _when(value: Any) -> str:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S UTC")
    return "" if value is None else str(value)


def _pretty(value: Any) -> str:
    if isinstance(value, str):
        try:
            return json.dumps(json.loads(value), indent=2)
        except ValueError:
            return value
    return json.dumps(value, indent=2)


def _url(value: Any) -> str:
    return quote(str(value), safe="")


def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("iamd.console", "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["when"] = _when
    env.filters["pretty"] = _pretty
    env.filters["u"] = _url
    return env
