"""Salinity data from either layout DWR ships: CalSim-ANN CSV files (simulated, section 5.1) or
one ANN input workbook of field observations (section 5.4), told apart by the file suffix."""
from keras_taskadapt.core.errors import TaskAdaptError
from keras_taskadapt.salinity.columns import DEFAULT_INPUTS, DEFAULT_STATIONS
from keras_taskadapt.salinity.csv_reader import read_salinity_csv
from keras_taskadapt.salinity.workbook_reader import OBSERVED_INPUTS, is_workbook, read_salinity_workbook


def read_salinity_data(paths, inputs=None, stations=None):
    """:func:`~keras_taskadapt.salinity.workbook_reader.read_salinity_workbook` for one
    ``.xlsx`` path, else :func:`~keras_taskadapt.salinity.csv_reader.read_salinity_csv`;
    ``inputs`` and ``stations`` default to each layout's (the seed's columns)."""
    paths = [paths] if isinstance(paths, str) else list(paths)
    workbooks = [path for path in paths if is_workbook(path)]
    if workbooks:
        if len(paths) > 1:
            raise TaskAdaptError(f"{workbooks[0]}: a workbook is read on its own, not with other files "
                                 f"({len(paths) - 1} more given)")
        return read_salinity_workbook(workbooks[0], inputs or OBSERVED_INPUTS, stations)
    return read_salinity_csv(paths, inputs or DEFAULT_INPUTS, stations or DEFAULT_STATIONS)
