"""``data inspect`` (record count, keys, shapes) and ``data verify`` (find damaged records)."""

import json

from keras_taskadapt.commands.registry import command


def add_inspect_arguments(parser):
    parser.add_argument("files", help="a TFRecord file or glob (quote it)")


@command("data", "inspect", "record count, keys and shapes of TFRecord files", add_inspect_arguments)
def inspect(args):
    from tfrecords_tools import expand_glob, inspect_file

    for path in expand_glob(args.files):
        print(json.dumps(inspect_file(path), indent=2))


def add_verify_arguments(parser):
    parser.add_argument("files", help="a TFRecord file or glob (quote it)")
    parser.add_argument("--skip-corrupt", action="store_true",
                        help="report every damaged record and exit 0 instead of stopping at the first")


@command("data", "verify", "check every record's framing and checksums", add_verify_arguments)
def verify(args):
    from tfrecords_tools import expand_glob, verify_files

    report = verify_files(expand_glob(args.files), strict=not args.skip_corrupt)
    for damage in report.damaged:
        print(f"damaged: {damage.describe()}")
    print(f"{sum(report.intact.values())} intact records in {len(report.intact)} files; "
          f"{report.skipped} damaged record(s) skipped")

