"""``salinity``: Delta salinity emulators (seed 000, chapter 5).

``train`` fits one configuration of :data:`keras_taskadapt.salinity.catalog.CONFIGURATIONS`
(``--model``) on DWR CalSim-ANN CSV files for one lead time, ``evaluate`` scores a saved
emulator on other files, ``sweep`` trains one emulator per lead time (section 5.4.1) and draws
the lead-time plot (figure 5.11).

metrics.json keys (train; evaluate has those marked *):
``stations`` * ``{code: {mse, nmse, r2, bias_pct, rsr, nse}}`` on the test split (NMSE on EC
scaled by the emulator's eq. 5.5 range, table 5.3), ``mean_nmse`` * (their mean),
``train_mean_nmse``, ``train_seconds`` (all networks, to early stop), ``inference_us_per_day`` *
(batched prediction of all stations, per day), ``dropped_missing_input`` * and
``dropped_missing_target`` * (windows dropped), ``train_samples``, ``test_samples`` *,
``epochs`` (the most any network ran), ``networks``, ``params`` (trainable), ``model``,
``label``, ``lead`` *, ``split``. Also ``range_metrics.json`` * (figure 5.10's numbers) and the
plots ``time_series.png`` *, ``exceedance.png`` *, ``range_heatmap.png`` *,
``station_boxes.png`` * and ``training.png``.
"""

import os

from keras_taskadapt.tasks.options import add_run_options

SPLITS = ("random", "chronological", "case")
DEFAULT_LEADS = tuple(range(15))


MODEL_NAMES = ("stl", "stl-lm", "mtl", "mtl-conv-p", "mtl-conv-r", "mlp", "resnet", "lstm",
               "gru", "res-lstm", "res-gru")
"""The keys of ``CONFIGURATIONS``, spelled out so that ``--help`` imports no Keras."""


def add_data_arguments(parser, columns=True):
    group = parser.add_argument_group("data")
    group.add_argument("--data", nargs="+", required=True, metavar="FILE",
                       help="DWR CalSim-ANN CSV files or glob patterns (quote them), e.g. "
                            "'../shared/data/delta/casanntra-dsm2/dsm2_base_*.csv'")
    if columns:
        group.add_argument("--inputs", nargs="+", default=None, metavar="COLUMN",
                           help="input columns (default: the seed's seven of table 5.1, "
                                "northern_flow sjr_flow exports dcc cu_total mrz_tidal_energy "
                                "vern_ec)")
        group.add_argument("--stations", nargs="+", default=None, metavar="COLUMN",
                           help="EC columns to emulate (default: the twelve of table 5.3, "
                                "emm2 jer cll rsl anc mal oh4 mtz old vcu trp wci)")


def add_train_arguments(parser):
    add_data_arguments(parser)
    group = parser.add_argument_group("emulator")
    group.add_argument("--model", choices=MODEL_NAMES, default="mtl-conv-p",
                       help="configuration: stl (STL-Adam), stl-lm (STL-LM), mtl (3-MTL), "
                            "mtl-conv-p / mtl-conv-r (4-MTL-P / -R), mlp, resnet, lstm, gru, "
                            "res-lstm, res-gru (default: mtl-conv-p)")
    group.add_argument("--lead", type=int, default=0,
                       help="lead time in days, 0 (estimation) to 14 (default: 0)")
    group.add_argument("--split", choices=SPLITS, default="random",
                       help="random 80/20 by day (the seed's), chronological (test on the "
                            "latest days), or case (test on --test-cases) (default: random)")
    group.add_argument("--test-fraction", type=float, default=0.2,
                       help="test share for the random and chronological splits (default: 0.2)")
    group.add_argument("--test-cases", nargs="+", default=["historical"], metavar="CASE",
                       help="cases held out by --split case (default: historical)")
    group.add_argument("--train-cases", nargs="+", default=None, metavar="CASE",
                       help="cases trained on by --split case (default: all others)")
    group = parser.add_argument_group("training")
    group.add_argument("--epochs", type=int, default=None,
                       help="epoch cap (default: the seed's, 200 for the step schedule of "
                            "section 5.3.1, 150 for LM, 5000 for the constant rate of 5.4.3)")
    group.add_argument("--patience", type=int, default=50,
                       help="stop after this many epochs without a lower validation MSE "
                            "(default: 50)")
    group.add_argument("--batch-size", type=int, default=128,
                       help="Adam batch size (LM uses the whole training set) (default: 128)")
    add_run_options(parser)


def _split(args, windows):
    from keras_taskadapt.salinity.splits import case_split, chronological_split, random_split

    if args.split == "random":
        return random_split(windows, args.test_fraction, seed=args.seed)
    if args.split == "chronological":
        return chronological_split(windows, args.test_fraction)
    return case_split(windows, args.test_cases, args.train_cases)


def _check_options(args):
    from keras_taskadapt.errors import UserError

    for option in ("epochs", "patience", "batch_size"):
        value = getattr(args, option, None)
        if value is not None and value < 1:
            raise UserError(f"--{option.replace('_', '-')} must be 1 or more, not {value}")


def _write_pictures(run, windows, evaluation, groups):
    from keras_taskadapt.salinity.plots import (plot_exceedance, plot_metric_boxes,
                                                plot_range_heatmap, plot_time_series)

    plot_time_series(windows, evaluation.predictions, run.file("time_series.png"))
    plot_exceedance(windows.targets, evaluation.predictions, windows.stations,
                    run.file("exceedance.png"))
    plot_range_heatmap(evaluation.ranges, run.file("range_heatmap.png"))
    plot_metric_boxes(groups, run.file("station_boxes.png"))


def train_one(args, data, lead, out):
    """Train ``args.model`` for one ``lead`` into ``out``; returns (metrics, test evaluation)."""
    from keras_taskadapt.distribute import make_strategy
    from keras_taskadapt.experiment import seed_everything
    from keras_taskadapt.run_directory import RunDirectory, write_json
    from keras_taskadapt.salinity.antecedent import make_windows
    from keras_taskadapt.salinity.catalog import CONFIGURATIONS
    from keras_taskadapt.salinity.evaluation import evaluate_emulator
    from keras_taskadapt.salinity.plots import plot_station_histories
    from keras_taskadapt.salinity.training import (default_epochs, inference_seconds_per_sample,
                                                   train_emulator)

    configuration = CONFIGURATIONS[args.model]
    run = RunDirectory(out)
    seed_everything(args.seed, args.deterministic_ops)
    windows = make_windows(data, lead=lead, raw=True)
    train, test = _split(args, windows)
    epochs = args.epochs or default_epochs(configuration)
    run.write_config({**vars(args), "out": out, "lead": lead, "epochs": epochs,
                      "label": configuration.label})
    trained = train_emulator(configuration, train, test, run=run, epochs=epochs,
                             patience=args.patience, batch_size=args.batch_size, seed=args.seed,
                             strategy=make_strategy(args.strategy))
    run.save_model(trained.model)
    tested, trained_fit = evaluate_emulator(trained.model, test), evaluate_emulator(trained.model,
                                                                                   train)
    metrics = {
        "model": args.model, "label": configuration.label, "lead": lead, "split": args.split,
        "stations": tested.stations, "mean_nmse": tested.mean_nmse,
        "train_mean_nmse": trained_fit.mean_nmse, "train_seconds": trained.train_seconds,
        "inference_us_per_day": 1e6 * inference_seconds_per_sample(trained.model, test.raw),
        "dropped_missing_input": windows.dropped_missing_input,
        "dropped_missing_target": windows.dropped_missing_target,
        "train_samples": len(train), "test_samples": len(test),
        "epochs": max(trained.network_epochs), "networks": len(trained.network_epochs),
        "params": sum(int(v.numpy().size) for v in trained.model.trainable_variables),
    }
    run.write_metrics(metrics)
    write_json(run.file("range_metrics.json"), tested.ranges)
    _write_pictures(run, test, tested, {"train": trained_fit.stations, "test": tested.stations})
    if configuration.per_station:
        plot_station_histories(run.read_history(), train.stations, run.file("training.png"))
    else:
        run.plot_history()
    return metrics, tested


def _read(args, inputs=None, stations=None):
    from keras_taskadapt.salinity.columns import DEFAULT_INPUTS, DEFAULT_STATIONS
    from keras_taskadapt.salinity.csv_reader import read_salinity_csv

    return read_salinity_csv(args.data, inputs or args.inputs or DEFAULT_INPUTS,
                             stations or args.stations or DEFAULT_STATIONS)


def train(args):
    _check_options(args)
    metrics, _ = train_one(args, _read(args), args.lead, args.out)
    print(f"{metrics['label']} lead {args.lead}: mean NMSE x 1e4 = {1e4 * metrics['mean_nmse']:.2f}"
          f" after {metrics['train_seconds']:.0f} s of training; results in {args.out}")


def add_evaluate_arguments(parser):
    parser.add_argument("--model", required=True, metavar="FILE",
                        help="a .keras emulator written by `train salinity`")
    add_data_arguments(parser, columns=False)
    add_run_options(parser)


def evaluate(args):
    import keras

    from keras_taskadapt.errors import UserError
    from keras_taskadapt.run_directory import RunDirectory, write_json
    from keras_taskadapt.salinity.antecedent import make_windows
    from keras_taskadapt.salinity.evaluation import evaluate_emulator
    from keras_taskadapt.salinity.signature import read_signature
    from keras_taskadapt.salinity.training import inference_seconds_per_sample

    if not os.path.isfile(args.model):
        raise UserError(f"--model {args.model}: no such file")
    try:
        model = keras.models.load_model(args.model)
    except (ValueError, OSError, KeyError) as error:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise UserError(f"--model {args.model}: cannot load it as a Keras model "
                        f"({reason})") from None
    signature = read_signature(model, args.model)
    run = RunDirectory(args.out)
    windows = make_windows(_read(args, signature.inputs, signature.stations), signature.lead,
                           raw=True)
    tested = evaluate_emulator(model, windows)
    run.write_config({**vars(args), "inputs": signature.inputs, "stations": signature.stations,
                      "lead": signature.lead})
    run.write_metrics({
        "stations": tested.stations, "mean_nmse": tested.mean_nmse, "lead": signature.lead,
        "inference_us_per_day": 1e6 * inference_seconds_per_sample(model, windows.raw),
        "dropped_missing_input": windows.dropped_missing_input,
        "dropped_missing_target": windows.dropped_missing_target,
        "test_samples": len(windows), "model": os.path.abspath(args.model),
    })
    write_json(run.file("range_metrics.json"), tested.ranges)
    _write_pictures(run, windows, tested, {"data": tested.stations})
    print(f"mean NMSE x 1e4 = {1e4 * tested.mean_nmse:.2f} on {len(windows)} days; "
          f"results in {args.out}")


def add_sweep_arguments(parser):
    add_train_arguments(parser)
    parser.add_argument("--leads", type=int, nargs="+", default=list(DEFAULT_LEADS),
                        metavar="DAYS", help="lead times, one emulator each (default: 0 .. 14)")


def sweep(args):
    """One emulator per lead time into ``out/lead<N>``; sweep.csv, lead_time.png, metrics.json."""
    import numpy as np

    from keras_taskadapt.run_directory import RunDirectory, write_csv
    from keras_taskadapt.salinity.plots import plot_metric_boxes

    _check_options(args)
    run = RunDirectory(args.out)
    data = _read(args)
    rows, groups = [], {}
    for lead in args.leads:
        metrics, tested = train_one(args, data, lead, os.path.join(args.out, f"lead{lead}"))
        groups[lead] = tested.stations
        medians = {f"median_{key}": float(np.nanmedian([m[key] for m in tested.stations.values()]))
                   for key in ("r2", "bias_pct", "rsr", "nse")}
        rows.append({"lead": lead, "mean_nmse": metrics["mean_nmse"], **medians,
                     "train_seconds": metrics["train_seconds"]})
    write_csv(run.file("sweep.csv"), rows)
    plot_metric_boxes(groups, run.file("lead_time.png"), xlabel="lead time (days)")
    run.write_metrics({"model": args.model, "runs": len(rows), "leads": list(args.leads),
                       **{f"mean_nmse_lead{row['lead']}": row["mean_nmse"] for row in rows}})
    print(f"{len(rows)} lead times; table in {run.file('sweep.csv')}, plot in "
          f"{run.file('lead_time.png')}")


COMMANDS = {
    ("train", "salinity"): (add_train_arguments, train,
                            ("Delta salinity emulator (STL/MTL ANNs, trainable pre-processing, "
                             "Res-RNNs) on DWR CalSim-ANN CSV files")),
    ("evaluate", "salinity"): (add_evaluate_arguments, evaluate,
                               "score a saved salinity emulator on CSV files"),
    ("sweep", "salinity"): (add_sweep_arguments, sweep,
                            "one salinity emulator per lead time: the lead-time plot"),
}
