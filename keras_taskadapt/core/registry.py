"""Registries: an item registers itself where it is defined.

In the manner of CompressAI's ``register_model``: a module that defines a data source, a
training strategy or an export mode decorates it with its registry's :meth:`Registry.register`,
and everything that lists or looks up such items (command-line choices, help texts, error
messages) asks the registry, so there is no second list to keep in step.

    STRATEGIES = Registry("training strategy")

    @STRATEGIES.register("e2e")
    class EndToEnd(...): ...

    STRATEGIES["e2e"]      # EndToEnd
    STRATEGIES.names()     # ("e2e", ...)
"""

from keras_taskadapt.core.errors import TaskAdaptError


class Registry:
    """Named items of one kind, in the order they registered.

    Args:
        kind: what an item is, for messages ("training strategy", "data source").
        parameter: the parameter that names an item, for :class:`TaskAdaptError.parameter`.
    """

    def __init__(self, kind, parameter=None):
        self.kind = kind
        self.parameter = parameter
        self._items = {}
        self._help = {}

    def register(self, name, help=None):
        """Decorator: register the decorated object under ``name`` (once)."""

        def add(item):
            if name in self._items:
                raise ValueError(f"{self.kind} {name!r} is registered twice")
            self._items[name] = item
            self._help[name] = help or _first_line(item.__doc__)
            return item

        return add

    def names(self):
        return tuple(self._items)

    def help(self, name):
        """The one-line description of ``name``."""
        return self._help[name]

    def describe(self):
        """``name: help; name: help`` of every item, for help texts."""
        return "; ".join(f"{name}: {self._help[name]}" if self._help[name] else name for name in self._items)

    def __contains__(self, name):
        return name in self._items

    def __iter__(self):
        return iter(self._items)

    def __getitem__(self, name):
        try:
            return self._items[name]
        except KeyError:
            raise TaskAdaptError(f"unknown {self.kind} {name!r}; choose one of {', '.join(self._items)}",
                                 parameter=self.parameter) from None

    def items(self):
        return self._items.items()


def _first_line(text):
    lines = (text or "").strip().splitlines()
    return lines[0] if lines else ""
