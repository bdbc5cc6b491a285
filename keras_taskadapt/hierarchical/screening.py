"""Latent-dimension screening (seed 000 section 3.3.2): one quick E2E cross-entropy model per
``dy`` (a keras-tuner grid search), the most accurate wins."""


def screen_latent_dims(architecture, data, latent_dims, out, *, epochs, steps_per_epoch=None, learning_rate=1e-3,
                       resume=False, seed=0, config=None):
    """Train an :class:`~keras_taskadapt.hierarchical.training.EndToEnd` split auto-encoder of
    ``architecture`` (an :class:`~keras_taskadapt.hierarchical.model_setup.ArchitectureConfig`)
    for every ``dy`` of ``latent_dims`` on ``data`` (an :class:`~keras_taskadapt.data.ImageData`);
    writes ``sweep.csv``, ``accuracy_vs_latent_dim.png``, ``metrics.json`` and ``config.json``
    into ``out`` and returns the best row (``latent_dim``, ``accuracy``)."""
    import dataclasses

    import keras
    import keras_tuner

    from keras_taskadapt.core.errors import TaskAdaptError
    from keras_taskadapt.core.files import write_csv, write_json
    from keras_taskadapt.core.run_directory import RunDirectory
    from keras_taskadapt.experiment import progress_verbosity
    from keras_taskadapt.hierarchical.latent import plot_rate_accuracy
    from keras_taskadapt.hierarchical.training import EndToEnd

    run = RunDirectory(out)

    def build(hp):
        latent_dim = hp.Choice("latent_dim", sorted(set(latent_dims)))
        config = dataclasses.replace(architecture, architecture="split-ae", latent_dim=latent_dim)
        model = EndToEnd(*config.build(data.source.num_classes, data.input_shape), name="e2e")
        model.compile(optimizer=keras.optimizers.Adam(learning_rate))
        return model

    tuner = keras_tuner.GridSearch(build, objective=keras_tuner.Objective("val_accuracy", "max"),
                                   directory=run.path, project_name="tuner", overwrite=not resume, seed=seed)
    run.write_config({**(config or {}), "out": out})
    tuner.search(data.train, validation_data=data.test, epochs=epochs, steps_per_epoch=steps_per_epoch,
                 verbose=progress_verbosity())
    rows = sorted(({"latent_dim": trial.hyperparameters.get("latent_dim"), "accuracy": trial.score}
                   for trial in tuner.oracle.trials.values() if trial.score is not None),
                  key=lambda row: row["latent_dim"])
    if not rows:
        raise TaskAdaptError("no screening trial finished")
    write_csv(run.file("sweep.csv"), rows)
    plot_rate_accuracy({"E2E (CE)": rows}, run.file("accuracy_vs_latent_dim.png"), rate="latent_dim")
    best = max(rows, key=lambda row: row["accuracy"])
    write_json(run.file("metrics.json"), {"trials": len(rows), "best_latent_dim": best["latent_dim"],
                                          "best_accuracy": best["accuracy"], "dataset": data.source.name})
    return best
