"""Settings read from the command line's options: the base of the settings dataclasses."""

import dataclasses


class OptionSettings:
    """A dataclass of settings a run reads from its options (:meth:`from_options`), checked."""

    @classmethod
    def from_options(cls, options, **overrides):
        """The settings among ``options`` (an ``argparse`` namespace or a mapping with the fields'
        names; ``overrides`` win), the others at their defaults, checked (:meth:`check`)."""
        values = {**(vars(options) if hasattr(options, "__dict__") else dict(options)), **overrides}
        settings = cls(**{field.name: values[field.name] for field in dataclasses.fields(cls) if field.name in values})
        settings.check()
        return settings

    def check(self):
        """Raise a :class:`~keras_taskadapt.core.errors.TaskAdaptError` for values that cannot work
        (none by default)."""
