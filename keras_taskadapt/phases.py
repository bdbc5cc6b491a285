"""Models that train one phase at a time, the phase of every epoch set by a schedule.

Both alternating schemes of the seed are phase schedules over one ``keras.Model``: JCC
alternates classifier and JPEG-layer epochs (seed 000 section 2.3.5), hierarchical training
runs DuPHiL's phases and the three steps (section 3.3.2). :class:`PhaseScheduledModel` owns
what they share:

- ``phase_of_epoch(epoch)``, the schedule, which a subclass defines; the
  :class:`PhaseSchedule` callback sets the phase at the start of every epoch (retracing the
  training function) and logs its index in :attr:`PhaseScheduledModel.PHASES` as ``phase``;
- named optimizers, one per parameter group (``compile(optimizer=..., jpeg_optimizer=...)``):
  built on their variables at compile time, so ``keras.callbacks.BackupAndRestore`` saves
  and restores every optimizer's state, and kept in the compile config, so a saved model
  reloads with all of them.

Typical use::

    class MyAlternation(PhaseScheduledModel):
        PHASES = ("first", "second")
        OPTIMIZERS = ("optimizer", "second_optimizer")

        def phase_of_epoch(self, epoch):
            return self.PHASES[epoch % 2]

        def optimizer_variables(self, name):
            return (self.part_a if name == "optimizer" else self.part_b).trainable_variables

    model.compile(optimizer="adam", second_optimizer="sgd")
    model.fit(data, epochs=4, callbacks=[PhaseSchedule()])
"""

import keras


class PhaseScheduledModel(keras.Model):
    """A ``keras.Model`` trained phase by phase (module docstring).

    Class attributes of a subclass:
        PHASES: the phase names.
        OPTIMIZERS: every optimizer's ``compile`` keyword, ``"optimizer"`` (Keras' own) first.
        REQUIRED_OPTIMIZERS: those ``compile`` must be given (default: ``("optimizer",)``).
    """

    PHASES = ()
    OPTIMIZERS = ("optimizer",)
    REQUIRED_OPTIMIZERS = ("optimizer",)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        for name in self.OPTIMIZERS[1:]:
            setattr(self, name, None)
        self.phase = self.phase_of_epoch(0)

    def phase_of_epoch(self, epoch):
        """The phase of 0-based ``epoch``."""
        raise NotImplementedError

    def optimizer_variables(self, name):
        """The variables the optimizer ``name`` updates (its state is built on them at compile time)."""
        return []

    def compile(self, optimizer="adam", **kwargs):
        named = {name: kwargs.pop(name, None) for name in self.OPTIMIZERS[1:]}
        super().compile(optimizer=optimizer, **kwargs)
        for name, value in named.items():
            setattr(self, name, None if value is None else keras.optimizers.get(value))
        missing = [name for name in self.REQUIRED_OPTIMIZERS if getattr(self, name) is None]
        if missing:
            raise ValueError(f"{type(self).__name__} needs compile({', '.join(f'{name}=...' for name in missing)})")
        for name in self.OPTIMIZERS:
            built = getattr(self, name)
            variables = self.optimizer_variables(name)
            if built is not None and not built.built and variables:
                built.build(variables)

    def get_compile_config(self):
        config = super().get_compile_config()
        for name in self.OPTIMIZERS[1:]:
            if config and getattr(self, name) is not None:
                config[name] = keras.saving.serialize_keras_object(getattr(self, name))
        return config

    def compile_from_config(self, config):
        """Re-compile a loaded model with all its optimizers (their states are not restored)."""
        self.compile(**keras.saving.deserialize_keras_object(config))

    def set_phase(self, phase):
        """Train ``phase`` from now on; the training function is traced anew for it."""
        if phase not in self.PHASES:
            raise ValueError(f"phase must be one of {self.PHASES}. Received: phase={phase!r}")
        if phase != self.phase:
            self.phase = phase
            self.make_train_function(force=True)


class PhaseSchedule(keras.callbacks.Callback):
    """Sets the model's phase at the start of every epoch (``phase_of_epoch``) and logs its
    index in ``PHASES`` as ``phase``."""

    def on_epoch_begin(self, epoch, logs=None):
        self.model.set_phase(self.model.phase_of_epoch(epoch))

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["phase"] = float(self.model.PHASES.index(self.model.phase))
