"""Routes: a method and a path pattern to a handler; ``{name}`` captures one path segment."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern[str]
    handler: Callable[..., Any]


class Router:
    def __init__(self) -> None:
        self.routes: list[Route] = []

    def add(self, method: str, path: str, handler: Callable[..., Any]) -> None:
        regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", path)
        self.routes.append(Route(method, re.compile(f"^{regex}$"), handler))

    def get(self, path: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        return self._decorator("GET", path)

    def post(self, path: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        return self._decorator("POST", path)

    def _decorator(
        self, method: str, path: str
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        def register(handler: Callable[..., Any]) -> Callable[..., Any]:
            self.add(method, path, handler)
            return handler

        return register

    def match(self, method: str, path: str) -> tuple[Callable[..., Any], dict[str, str]] | None:
        """The handler and its captured arguments; ``None`` if no route has this path.

        Raises :class:`MethodNotAllowedError` when the path exists for another method.
        """
        other = False
        for route in self.routes:
            found = route.pattern.match(path)
            if found is None:
                continue
            if route.method != method:
                other = True
                continue
            return route.handler, {k: unquote(v) for k, v in found.groupdict().items()}
        if other:
            raise MethodNotAllowedError(path)
        return None


class MethodNotAllowedError(Exception):
    """The path exists, but not for this method."""
