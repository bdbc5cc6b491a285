"""Writing, reading, sharding, inspecting and streaming TFRecords.

Three record kinds share one set of tools:

- image records, the common image schema (``image/encoded`` bytes kept as they are,
  or ``image/raw`` uint8 tensors) described in ``../shared/data/README.md``;
- dense tensor records (``tensor/values`` float list + ``tensor/shape``);
- sparse tensor records stored as value + position (``sparse/values``,
  ``sparse/positions``, ``sparse/shape``): the bottleneck format of seed 004,
  section 4.1.1, Algorithm 3.

Reading is a streaming ``tf.data`` pipeline (parallel interleave over shards, parallel
decode, prefetch). Damaged files are found by :func:`verify_files`, which names the file
and the record index; ``skip_corrupt=True`` reads around damaged records and counts them.
"""

from tfrecords_tools.convert import FORMATS, convert_source, write_tensors
from tfrecords_tools.errors import TFRecordError
from tfrecords_tools.framing import CorruptRecord, RecordScan, count_records, scan_file
from tfrecords_tools.inspect import inspect_file
from tfrecords_tools.reader import (
    ReadReport,
    batch_parser,
    parse_dense_batch,
    parse_image_batch,
    parse_sparse_batch,
    record_dataset,
    stream_records,
)
from tfrecords_tools.sparse import from_value_position, to_value_position
from tfrecords_tools.verify import CorruptRecordError, VerifyReport, expand_glob, verify_files
from tfrecords_tools.writer import (
    ShardedWriter,
    dense_example,
    encoded_image_example,
    raw_image_example,
    sparse_example,
)

__all__ = [
    "FORMATS",
    "convert_source",
    "write_tensors",
    "CorruptRecord",
    "CorruptRecordError",
    "TFRecordError",
    "ReadReport",
    "RecordScan",
    "ShardedWriter",
    "batch_parser",
    "count_records",
    "VerifyReport",
    "dense_example",
    "encoded_image_example",
    "expand_glob",
    "from_value_position",
    "inspect_file",
    "parse_dense_batch",
    "parse_image_batch",
    "parse_sparse_batch",
    "raw_image_example",
    "record_dataset",
    "scan_file",
    "sparse_example",
    "stream_records",
    "to_value_position",
    "verify_files",
]
