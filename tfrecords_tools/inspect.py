"""``inspect``: what a TFRecord file holds (record count, keys, types, shapes)."""

from tfrecords_tools.framing import scan_file
from tfrecords_tools.reader import record_kind, record_shape


def _describe_feature(feature):
    kind = feature.WhichOneof("kind")
    values = getattr(feature, kind).value if kind else []
    return {"type": kind or "empty", "length": len(values)}


def inspect_file(path):
    """Count the records of one file and describe the first intact one.

    Returns a dict: ``path``, ``records`` (intact), ``damaged`` (list of descriptions),
    ``schema`` (image / dense / sparse), ``element_shape``, and ``keys`` mapping each
    feature key to its list type and length in the first record.
    """
    import tensorflow as tf

    records, damaged, first = 0, [], None
    for slot in scan_file(path):
        if slot.damage is not None:
            damaged.append(slot.damage.describe())
            continue
        records += 1
        if first is None:
            first = tf.train.Example.FromString(slot.payload)
    summary = {"path": path, "records": records, "damaged": damaged, "schema": None, "element_shape": None, "keys": {}}
    if first is not None:
        summary["keys"] = {key: _describe_feature(value) for key, value in sorted(first.features.feature.items())}
        try:
            summary["schema"] = record_kind(first)
            summary["element_shape"] = list(record_shape(first))
        except ValueError:
            summary["schema"] = "unknown"
    return summary
