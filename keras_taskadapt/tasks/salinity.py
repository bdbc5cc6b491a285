"""``salinity``: Delta salinity emulators (seed 000, chapter 5).

``train`` fits one configuration of :data:`keras_taskadapt.salinity.catalog.CONFIGURATIONS`
(``--model``) on DWR CalSim-ANN CSV files or DWR's workbook of field observations for one lead
time, ``evaluate`` scores a saved emulator on other files of either layout, ``sweep`` trains
one emulator per lead time (section 5.4.1) and draws the lead-time plot (figure 5.11).

metrics.json keys (train; evaluate has those marked *):
``stations`` * ``{code: {mse, nmse, r2, bias_pct, rsr, nse}}`` on the test split (NMSE on EC
scaled by the emulator's eq. 5.5 range, table 5.3), ``mean_nmse`` * (their mean),
``median_r2`` *, ``median_bias_pct`` *, ``median_rsr`` *, ``median_nse`` * (medians over the
stations, figure 5.8), ``train_mean_nmse``, ``train_seconds`` (all networks, to early stop), ``inference_us_per_day`` *
(batched prediction of all stations, per day), ``dropped_missing_input`` * and
``dropped_missing_target`` * (windows dropped), ``train_samples``, ``test_samples`` *,
``epochs`` (the most any network ran), ``networks``, ``params`` (trainable), ``model``,
``label``, ``lead`` *, ``split``. Also ``train_metrics.json`` (``stations`` and the medians on the
training split), ``range_metrics.json`` * (figure 5.10's numbers) and the
plots ``time_series.png`` *, ``exceedance.png`` *, ``range_heatmap.png`` *,
``station_boxes.png`` * and ``training.png``.
"""

import argparse
import os

from keras_taskadapt.commands.options import add_output_options, add_run_options, count, positive
from keras_taskadapt.commands.registry import command

DEFAULT_LEADS = tuple(range(15))


def add_data_arguments(parser, columns=True):
    from keras_taskadapt.salinity.workbook_reader import MIN_OBSERVED_FRACTION, OBSERVED_INPUTS

    group = parser.add_argument_group("data")
    group.add_argument("--data", nargs="+", required=True, metavar="FILE",
                       help="DWR CalSim-ANN CSV files or glob patterns (quote them), e.g. "
                            "'../shared/data/delta/casanntra-dsm2/dsm2_base_*.csv', or one DWR "
                            "observation workbook (.xlsx: one sheet per input, observed EC in "
                            "'outputs')")
    if columns:
        group.add_argument("--inputs", nargs="+", default=None, metavar="COLUMN",
                           help="input columns, or input sheets of a workbook (default: the "
                                "seed's seven of table 5.1, northern_flow sjr_flow exports dcc "
                                "cu_total mrz_tidal_energy vern_ec; for a workbook the eight of "
                                "section 5.4, " + " ".join(OBSERVED_INPUTS) + ")")
        group.add_argument("--stations", nargs="+", default=None, metavar="COLUMN",
                           help="EC columns to emulate (default: eleven of the twelve of table "
                                "5.3, emm2 jer cll rsl anc mal oh4 mrz vcu trp wci; the seed's "
                                "Middle River Intake has no column in the DSM2 files; for a "
                                "workbook the columns of 'outputs' observed on at least "
                                f"{100 * MIN_OBSERVED_FRACTION:.0f}%% of its days)")


def add_train_arguments(parser):
    from keras_taskadapt.salinity.ann import FILTER_BANKS
    from keras_taskadapt.salinity.catalog import CONFIGURATIONS
    from keras_taskadapt.salinity.recipes import RECIPES
    from keras_taskadapt.salinity.splits import SPLITS

    add_data_arguments(parser)
    group = parser.add_argument_group("emulator")
    group.add_argument("--model", choices=tuple(CONFIGURATIONS), default="mtl-conv-p",
                       help="configuration: stl (STL-Adam), stl-lm (STL-LM), mtl (3-MTL), "
                            "mtl-conv-p / mtl-conv-r (4-MTL-P / -R), mlp, resnet, lstm, gru, "
                            "res-lstm, res-gru (default: mtl-conv-p)")
    group.add_argument("--filter-bank", choices=FILTER_BANKS, default=None,
                       help="trainable pre-processing of mtl-conv-p/-r: one 118x18 bank with 18 "
                            "biases for all inputs (the seed's 16,962 parameters) or one bank per "
                            "input (default: shared)")
    group.add_argument("--lead", type=int, default=0,
                       help="lead time in days, 0 (estimation) to 14 (default: 0)")
    group.add_argument("--split", choices=SPLITS, default=None,
                       help="random 80/20 by day (the seed's), chronological (test on the "
                            "latest days, training targets ending 118 + lead days before them), "
                            "or case (test on --test-cases) (default: random for CSV files, "
                            "chronological for a workbook)")
    group.add_argument("--test-fraction", type=positive, default=0.2,
                       help="test share for the random and chronological splits (default: 0.2)")
    group.add_argument("--test-cases", nargs="+", default=["historical"], metavar="CASE",
                       help="cases held out by --split case (default: historical)")
    group.add_argument("--train-cases", nargs="+", default=None, metavar="CASE",
                       help="cases trained on by --split case (default: all others)")
    group = parser.add_argument_group("training")
    by_schedule = {}
    for name, configuration in CONFIGURATIONS.items():
        by_schedule.setdefault(configuration.schedule, []).append(name)
    group.add_argument("--schedule", choices=tuple(RECIPES), default=None,
                       help="Adam's learning-rate schedule: steps (section 5.3.1: 0.01 stepped down "
                            "at 40/60/80/90%% of the epochs), constant (section 5.4.3), cosine "
                            "decay to 0, or plateau (halved after 10 epochs without progress) "
                            "(default: the model's, " + "; ".join(
                                f"{schedule} for {', '.join(names)}" for schedule, names in by_schedule.items()
                                if schedule in RECIPES) + ")")
    group.add_argument("--learning-rate", type=positive, default=None,
                       help="Adam's initial rate (default: the schedule's, " + ", ".join(
                           f"{name} {recipe.rate:g}" for name, recipe in RECIPES.items()) + ")")
    group.add_argument("--epochs", type=count, default=None,
                       help="epoch cap (default: the schedule's, " + ", ".join(
                           f"{name} {recipe.epochs}" for name, recipe in RECIPES.items()) + "; LM 150)")
    group.add_argument("--patience", type=count, default=50,
                       help="stop after this many epochs without a lower validation MSE "
                            "(default: 50)")
    group.add_argument("--batch-size", type=count, default=None,
                       help="Adam batch size (default: the schedule's, " + ", ".join(
                           f"{name} {recipe.batch_size}" for name, recipe in RECIPES.items())
                       + "; LM uses the whole training set)")
    add_run_options(parser)


def read_data(options, inputs=None, stations=None):
    """The CSV files or the workbook of ``--data`` with the given (or the default) columns."""
    from keras_taskadapt.salinity.reading import read_salinity_data

    return read_salinity_data(options.data, inputs or getattr(options, "inputs", None),
                              stations or getattr(options, "stations", None))


def train_one(options, data, lead, out):
    """Train ``--model`` for one ``lead`` into ``out``; returns (metrics, test evaluation)."""
    from keras_taskadapt.core.files import write_json
    from keras_taskadapt.experiment import RunSettings, run_training
    from keras_taskadapt.salinity.antecedent import make_windows
    from keras_taskadapt.salinity.catalog import CONFIGURATIONS
    from keras_taskadapt.salinity.evaluation import emulator_metrics
    from keras_taskadapt.salinity.metrics import median_metrics
    from keras_taskadapt.salinity.plots import plot_station_histories, write_evaluation_plots
    from keras_taskadapt.salinity.splits import default_split, split_windows
    from keras_taskadapt.salinity.training import EmulatorTraining, training_recipe

    configuration = CONFIGURATIONS[options.model]
    split_name = options.split or default_split(data)
    recipe = training_recipe(configuration, options.schedule, rate=options.learning_rate, epochs=options.epochs,
                             batch_size=options.batch_size)
    state = {}

    def open_data():
        windows = make_windows(data, lead=lead, raw=True)
        train, test = split_windows(windows, split_name, test_fraction=options.test_fraction, seed=options.seed,
                                    test_cases=options.test_cases, train_cases=options.train_cases)
        state["windows"] = windows
        return argparse.Namespace(train=train, test=test)

    def build(split):
        state["training"] = EmulatorTraining.build(configuration, split.train, filter_bank=options.filter_bank)
        return state["training"].emulator

    def fit(emulator, split, run):
        return state["training"].fit(split.train, split.test, run=run, recipe=recipe, patience=options.patience,
                                     seed=options.seed, tensorboard=options.tensorboard)

    def evaluate(emulator, split, run):
        training = state["training"]
        metrics, tested, trained_fit = emulator_metrics(emulator, split.train, split.test, state["windows"])
        state["tested"] = tested
        write_json(run.file("range_metrics.json"), tested.ranges)
        write_json(run.file("train_metrics.json"), {"stations": trained_fit.stations,
                                                    **median_metrics(trained_fit.stations)})
        write_evaluation_plots(run.path, split.test, tested, {"train": trained_fit.stations, "test": tested.stations})
        if configuration.per_station:
            plot_station_histories(run.read_history(), split.train.stations, run.file("training.png"))
        return {"model": options.model, "label": configuration.label, "lead": lead, "split": split_name,
                **metrics, "networks": len(training.networks),
                "params": sum(int(v.numpy().size) for v in emulator.trainable_variables)}

    metrics = run_training(
        RunSettings.from_options(options, out=out, epochs=recipe.epochs),
        open_data=open_data, build=build, fit=fit, evaluate=evaluate,
        plot_history=not configuration.per_station,
        config={**vars(options), "lead": lead, "split": split_name, "label": configuration.label,
                "schedule": recipe.schedule, "learning_rate": recipe.rate, "epochs": recipe.epochs,
                "batch_size": recipe.batch_size},
    )
    return metrics, state["tested"]


@command("train", "salinity",
         "Delta salinity emulator (STL/MTL ANNs, trainable pre-processing, Res-RNNs) on DWR CalSim-ANN CSV files "
         "or an observation workbook",
         add_train_arguments)
def train(options):
    metrics, _ = train_one(options, read_data(options), options.lead, options.out)
    print(f"{metrics['label']} lead {options.lead}: mean NMSE x 1e4 = {1e4 * metrics['mean_nmse']:.2f}, "
          f"median NSE = {metrics['median_nse']:.3f} after {metrics['train_seconds']:.0f} s of training; "
          f"results in {options.out}")


def add_evaluate_arguments(parser):
    parser.add_argument("--model", required=True, metavar="FILE",
                        help="a .keras emulator written by `train salinity`")
    add_data_arguments(parser, columns=False)
    add_output_options(parser)


@command("evaluate", "salinity", "score a saved salinity emulator on CSV files or an observation workbook",
         add_evaluate_arguments)
def evaluate(options):
    from keras_taskadapt.core.files import write_json
    from keras_taskadapt.core.run_directory import RunDirectory
    from keras_taskadapt.salinity.antecedent import make_windows
    from keras_taskadapt.salinity.evaluation import data_metrics
    from keras_taskadapt.salinity.plots import write_evaluation_plots
    from keras_taskadapt.salinity.signature import load_emulator

    model, signature = load_emulator(options.model)
    windows = make_windows(read_data(options, signature.inputs, signature.stations), signature.lead, raw=True)
    metrics, tested = data_metrics(model, windows)
    run = RunDirectory(options.out)
    run.write_config({**vars(options), "inputs": signature.inputs, "stations": signature.stations,
                      "lead": signature.lead})
    run.write_metrics({**metrics, "lead": signature.lead, "model": os.path.abspath(options.model)})
    write_json(run.file("range_metrics.json"), tested.ranges)
    write_evaluation_plots(run.path, windows, tested, {"data": tested.stations})
    print(f"mean NMSE x 1e4 = {1e4 * tested.mean_nmse:.2f}, median NSE = {metrics['median_nse']:.3f} on "
          f"{len(windows)} days; results in {options.out}")


def add_sweep_arguments(parser):
    add_train_arguments(parser)
    parser.add_argument("--leads", type=int, nargs="+", default=list(DEFAULT_LEADS),
                        metavar="DAYS", help="lead times, one emulator each (default: 0 .. 14)")


@command("sweep", "salinity", "one salinity emulator per lead time: the lead-time plot", add_sweep_arguments)
def sweep(options):
    """One emulator per lead time into ``out/lead<N>``; sweep.csv, lead_time.png, metrics.json."""
    from keras_taskadapt.core.files import write_csv
    from keras_taskadapt.core.progress import announced
    from keras_taskadapt.core.run_directory import RunDirectory
    from keras_taskadapt.salinity.metrics import median_metrics
    from keras_taskadapt.salinity.plots import plot_metric_boxes

    run = RunDirectory(options.out)
    data = read_data(options)
    rows, groups = [], {}
    for _, lead in announced((f"lead {lead}", lead) for lead in options.leads):
        metrics, tested = train_one(options, data, lead, os.path.join(options.out, f"lead{lead}"))
        groups[lead] = tested.stations
        rows.append({"lead": lead, "mean_nmse": metrics["mean_nmse"], **median_metrics(tested.stations),
                     "train_seconds": metrics["train_seconds"]})
    write_csv(run.file("sweep.csv"), rows)
    plot_metric_boxes(groups, run.file("lead_time.png"), xlabel="lead time (days)")
    run.write_metrics({"model": options.model, "runs": len(rows), "leads": list(options.leads),
                       **{f"mean_nmse_lead{row['lead']}": row["mean_nmse"] for row in rows}})
    print(f"{len(rows)} lead times; table in {run.file('sweep.csv')}, plot in {run.file('lead_time.png')}")
