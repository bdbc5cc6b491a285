"""The error type of ``tfrecords_tools``, which needs nothing but TensorFlow."""


class TFRecordError(ValueError):
    """A TFRecord file or pattern the caller can fix: none matches, a record is damaged,
    the schema is unknown. The message names the file (and the record index)."""
