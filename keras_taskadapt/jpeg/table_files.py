"""Learned quantization tables as files other tools read (seed 000, sections 2.3.2, 2.4.4).

- cjpeg ``-qtables`` text: three tables of 64 integers in natural order, ``#`` comments;
  use with ``cjpeg -qtables FILE -qslots 0,1,2 -sample 2x2`` so component i uses table i.
- JSON: the tables as nested lists plus any metadata of the run.
- C header: a ``[3][64]`` array for ``jpeg_add_quant_table(&cinfo, i, table[i], 100, TRUE)``.
- Heatmap PNG of the compression kernels q_i = 1/Q_i under one colour scale, like fig. 2.11.

Every writer takes baseline tables (integers 1..255, see :func:`clip_to_baseline`) and
writes through a temporary file, so a failed write leaves nothing behind.
"""
import io
import json
import re

import numpy as np

from keras_taskadapt.core.errors import TaskAdaptError
from keras_taskadapt.core.files import write_atomically
from keras_taskadapt.jpeg.tables import as_baseline_qtables

#: Component names in table order.
COMPONENT_NAMES = ("Y", "Cb", "Cr")

#: ``format`` value that marks a JSON table file of this package.
JSON_FORMAT = "keras-taskadapt jpeg qtables"


def format_cjpeg_qtables(tables):
    """The cjpeg ``-qtables`` text of three baseline tables (natural order)."""
    tables = as_baseline_qtables(tables)
    lines = ["# JPEG quantization tables (natural order); cjpeg -qtables FILE -qslots 0,1,2"]
    for name, table in zip(COMPONENT_NAMES, tables):
        lines.append(f"# table for {name}")
        lines.extend(" ".join(f"{value:3d}" for value in row) for row in table)
    return "\n".join(lines) + "\n"


def parse_cjpeg_qtables(text):
    """Three (3, 8, 8) tables from cjpeg ``-qtables`` text (``#`` starts a comment)."""
    numbers = " ".join(line.split("#", 1)[0] for line in text.splitlines()).split()
    try:
        values = [int(number) for number in numbers]
    except ValueError:
        raise TaskAdaptError("a cjpeg qtables file holds only integers and # comments") from None
    if len(values) != 3 * 64:
        raise TaskAdaptError(f"expected 3 tables of 64 integers (192 values) in the qtables file, found {len(values)}")
    return as_baseline_qtables(np.reshape(values, (3, 8, 8)))


def write_cjpeg_qtables(path, tables):
    """Write cjpeg ``-qtables`` text to ``path``."""
    return write_atomically(path, format_cjpeg_qtables(tables))


def read_cjpeg_qtables(path):
    """Read the three tables of a cjpeg ``-qtables`` text file."""
    return parse_cjpeg_qtables(_read_text(path))


def write_qtables_json(path, tables, **metadata):
    """Write the tables and ``metadata`` (JSON-serializable values) as JSON: ``tables`` as three
    8x8 grids, and ``pillow_qtables`` as three flat lists of 64 values in natural row-major order,
    the form Pillow's ``save(..., qtables=...)`` and libjpeg's ``jpeg_add_quant_table`` take."""
    baseline = as_baseline_qtables(tables)
    document = {
        "format": JSON_FORMAT,
        "order": "natural row-major",
        "components": list(COMPONENT_NAMES),
        "tables": baseline.tolist(),
        "pillow_qtables": [table.ravel().tolist() for table in baseline],
        **metadata,
    }
    return write_atomically(path, json.dumps(document, indent=1) + "\n")


def read_qtables_json(path):
    """Read the tables of a JSON file written by :func:`write_qtables_json`."""
    try:
        document = json.loads(_read_text(path))
        tables = document["tables"] if document.get("format") == JSON_FORMAT else None
    except (json.JSONDecodeError, AttributeError, KeyError):
        tables = None
    if tables is None:
        raise TaskAdaptError(f"{path} is not a JSON qtables file written by keras-taskadapt")
    return as_baseline_qtables(tables)


def format_qtables_header(tables, name="jcc_qtables"):
    """A C header declaring ``static const unsigned int NAME[3][64]`` for libjpeg."""
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        raise TaskAdaptError(f"the C table name must be an identifier, got {name!r}")
    tables = as_baseline_qtables(tables)
    guard = f"{name.upper()}_H"
    rows = []
    for component, table in zip(COMPONENT_NAMES, tables):
        body = ",\n".join("    " + ", ".join(f"{value:3d}" for value in row) for row in table)
        rows.append(f"  /* {component} */ {{\n{body}\n  }}")
    joined = ",\n".join(rows)
    return (
        f"/* JPEG quantization tables, natural (row-major) order, Y, Cb, Cr.\n"
        f" * for (int i = 0; i < 3; i++) {{\n"
        f" *   jpeg_add_quant_table(&cinfo, i, {name}[i], 100, TRUE);\n"
        f" *   cinfo.comp_info[i].quant_tbl_no = i;\n"
        f" * }}\n"
        f" */\n"
        f"#ifndef {guard}\n#define {guard}\n\n"
        f"static const unsigned int {name}[3][64] = {{\n{joined}\n}};\n\n#endif /* {guard} */\n"
    )


def write_qtables_header(path, tables, name="jcc_qtables"):
    """Write the C header of :func:`format_qtables_header` to ``path``."""
    return write_atomically(path, format_qtables_header(tables, name))


def plot_qtables(path, tables, title=None):
    """Heatmap PNG of the kernels q = 1/Q of Y, Cb, Cr on one colour scale (fig. 2.11).

    Darker cells mean larger q: finer quantization, a more important coefficient. Each
    cell is labelled with its table entry Q.
    """
    from matplotlib.figure import Figure

    tables = as_baseline_qtables(tables)
    kernels = 1.0 / tables
    figure = Figure(figsize=(12, 4.2), layout="constrained")
    axes = figure.subplots(1, 3)
    for axis, name, table, kernel in zip(axes, COMPONENT_NAMES, tables, kernels):
        image = axis.imshow(kernel, cmap="Greys", vmin=0.0, vmax=kernels.max())
        for (row, col), value in np.ndenumerate(table):
            shade = "white" if kernel[row, col] > 0.5 * kernels.max() else "black"
            axis.text(col, row, str(value), ha="center", va="center", fontsize=7, color=shade)
        axis.set_title(f"{name}: q = 1/Q")
        axis.set_xticks(range(8))
        axis.set_yticks(range(8))
    figure.colorbar(image, ax=list(axes), shrink=0.8, label="q = 1/Q")
    if title:
        figure.suptitle(title)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=120)
    return write_atomically(path, buffer.getvalue())


def _read_text(path):
    try:
        with open(path, encoding="utf-8") as stream:
            return stream.read()
    except (OSError, UnicodeDecodeError) as error:
        raise TaskAdaptError(f"cannot read {path}: {error}") from None
