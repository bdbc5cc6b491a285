"""``export savedmodel``: a trained ``.keras`` model as a SavedModel with a ``serve`` signature
(:mod:`export.savedmodel`); a salinity emulator's inputs, stations, lead and window layout go
into its report and ``assets.extra/contract.json``; a few-shot model exports its embedding network."""

from keras_taskadapt.commands.options import add_export_options
from keras_taskadapt.commands.registry import command


def add_arguments(parser):
    add_export_options(parser, "a .keras model written by train", "the SavedModel folder to write")


@command("export", "savedmodel", "SavedModel with a serve signature, reload-checked", add_arguments)
def run(options):
    import keras

    from export import export_savedmodel
    from keras_taskadapt.core.keras_file import load_model
    from keras_taskadapt.fewshot.embedding_export import embedding_export
    from keras_taskadapt.salinity.signature import emulator_contract

    model, contract = embedding_export(load_model(options.model, keras.Model))
    report = export_savedmodel(model, options.out, force=options.force, contract=contract or emulator_contract(model))
    print(f"SavedModel in {options.out}: {report.size_bytes} bytes, "
          f"{report.latency_ms_per_input:.2f} ms per input, max |diff| {report.parity['max_abs_diff']:.2e}")
