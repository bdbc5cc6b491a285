"""``data convert``: any data set into sharded TFRecords (encoded, raw, dense or sparse)."""

from keras_taskadapt.commands.options import add_data_options, count
from keras_taskadapt.commands.registry import command


def add_arguments(parser):
    add_data_options(parser)
    parser.add_argument("--out", required=True, help="folder for the shards and labels.txt")
    parser.add_argument("--format", choices=("encoded", "raw", "dense", "sparse"), default="encoded",
                        help="encoded: image bytes as they are (arrays become PNG); raw: uint8 pixels; "
                             "dense/sparse: float32 tensors, sparse as value + position (default: encoded)")
    parser.add_argument("--shards", type=count, default=4, help="shards per split (default: 4)")
    parser.add_argument("--splits", nargs="+", default=["train", "test"], help="splits to convert")


@command("data", "convert", "write a data set as sharded TFRecords", add_arguments)
def run(args):
    from keras_taskadapt.core.files import write_json
    from keras_taskadapt.core.progress import Progress
    from keras_taskadapt.core.run_directory import RunDirectory
    from keras_taskadapt.data import open_dataset
    from keras_taskadapt.data.splits import canonical_split
    from tfrecords_tools import convert_source

    run_dir = RunDirectory(args.out)
    source = open_dataset(args.dataset, data_dir=args.data_dir, skip_corrupt=args.skip_corrupt)
    splits = [canonical_split(split) for split in args.splits]
    bars = {split: Progress(source.size(split), f"{split} split", "records") for split in splits}
    counts = convert_source(source, run_dir.path, args.format, args.shards, splits,
                            progress=lambda split, count: bars[split].update(count))
    write_json(run_dir.file("metrics.json"), {
        **{f"{split}_records": count for split, count in counts.items()},
        "format": args.format, "shards": args.shards, "skipped_records": source.skipped_records,
        "dataset": source.name,
    })
    print(", ".join(f"{count} {split} records" for split, count in counts.items()) + f" written to {args.out}")

