"""Enumerate every organization-scoped URL pattern (pages and API) with its view."""

import re
from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver


@dataclass
class Route:
    route: str  # the full pattern, e.g. "o/<slug:org_slug>/sites/<int:pk>/"
    name: str
    callback: object
    kwargs: tuple[str, ...]

    @property
    def view_class(self):
        return getattr(self.callback, "view_class", None) or getattr(self.callback, "cls", None)

    @property
    def model(self):
        view = self.view_class
        model = getattr(view, "model", None)
        if model is None and getattr(view, "queryset", None) is not None:
            model = view.queryset.model
        if model is None and getattr(view, "serializer_class", None) is not None:
            model = view.serializer_class.Meta.model
        return model


def _walk(patterns, prefix=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            route = prefix + str(entry.pattern)
            yield Route(route, entry.name or "", entry.callback, tuple(kwarg_names(route)))


KWARG = re.compile(r"\(\?P<(\w+)>[^)]*\)|<(?:\w+:)?(\w+)>")


def kwarg_names(route):
    return [a or b for a, b in KWARG.findall(route)]


def fill(route, values):
    """Substitute kwargs into a route (path converters or router regexes) to get a path."""
    path = KWARG.sub(lambda m: str(values[m.group(1) or m.group(2)]), route)
    return "/" + path.replace("^", "").replace("$", "").replace("\\.", ".")


def org_routes():
    """Every pattern whose URL carries an organization slug."""
    return [r for r in _walk(get_resolver().url_patterns) if "org_slug" in r.kwargs]
