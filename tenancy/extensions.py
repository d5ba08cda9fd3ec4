"""Extension points: how an app lets the apps built on it take part, without importing
them (docs/architecture.md).

An app lower in the layers declares a `Hook` (or a `tenancy.rules.RuleRegistry` for
rules) in its `hooks.py`; the apps above it register their functions in their
`AppConfig.ready()`, as `django.core.checks.register` works. The declaring app's
services call the hook explicitly where the step belongs: no signals, so every caller
can see what runs."""

from __future__ import annotations

from collections.abc import Callable, Iterator


class Hook:
    """An ordered, explicit list of functions with one signature (see `doc`)."""

    def __init__(self, name: str, doc: str = ""):
        self.name = name
        self.doc = doc
        self._functions: list[Callable] = []

    def register(self, function: Callable) -> Callable:
        """Add `function` once (registering twice, as a reloaded ready() may, is a no-op).
        Returns it, so that it can decorate."""
        if function not in self._functions:
            self._functions.append(function)
        return function

    def __iter__(self) -> Iterator[Callable]:
        return iter(list(self._functions))

    def __len__(self) -> int:
        return len(self._functions)

    def __call__(self, *args, **kwargs) -> list:
        """Call every function in order; their results, in the same order."""
        return [function(*args, **kwargs) for function in self]

    def first(self, *args, default=None, **kwargs):
        """The first result that is not None (for hooks where one answer is enough)."""
        for function in self:
            result = function(*args, **kwargs)
            if result is not None:
                return result
        return default

    def __repr__(self):
        names = ", ".join(getattr(f, "__qualname__", repr(f)) for f in self._functions)
        return f"<Hook {self.name}: {names}>"
