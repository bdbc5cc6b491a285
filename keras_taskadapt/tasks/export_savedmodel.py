"""``export savedmodel``: a trained ``.keras`` model as a SavedModel with a ``serve`` signature."""


def add_arguments(parser):
    parser.add_argument("--model", required=True, help="a .keras model written by train")
    parser.add_argument("--out", required=True, help="the SavedModel folder to write")
    parser.add_argument("--force", action="store_true", help="overwrite an existing --out")


def run(args):
    from export import export_savedmodel
    from export.keras_file import load_keras_model

    report = export_savedmodel(load_keras_model(args.model), args.out, force=args.force)
    print(f"SavedModel in {args.out}: {report.size_bytes} bytes, "
          f"{report.latency_ms_per_input:.2f} ms per input, max |diff| {report.parity['max_abs_diff']:.2e}")


COMMANDS = {("export", "savedmodel"): (add_arguments, run, "SavedModel with a serve signature, reload-checked")}
