"""Column names of the DWR CalSim-ANN CSV convention and the seed's defaults.

Seed 000, chapter 5, table 5.1 (inputs) and table 5.3 (stations), mapped to the column names of
the DSM2 training files of CADWRDeltaModeling/casanntra (``../shared/data/README.md``).
"""

DATE_COLUMN = "datetime"
"""Daily date, ``YYYY-MM-DD``."""

CASE_COLUMN = "case"
"""Scenario case of a row; a file may hold several cases one after another."""

SEED_INPUTS = {
    "northern_flow": "Northern flow",
    "sjr_flow": "San Joaquin River flow",
    "exports": "Pumping",
    "dcc": "Delta Cross-Channel gate operation",
    "cu_total": "Consumptive use",
    "mrz_tidal_energy": "Martinez tidal energy",
    "vern_ec": "San Joaquin River EC",
}
"""Inputs 1-7 of table 5.1 (Sacramento River EC, input 8, is not in these files), column: name."""

SEED_STATIONS = {
    "emm2": "Emmaton",
    "jer": "Jersey Point",
    "cll": "Collinsville",
    "rsl": "Rock Slough",
    "anc": "Antioch",
    "mal": "Mallard Island",
    "oh4": "Old River at HWY 4",
    "mrz": "Martinez",
    "vcu": "Victoria Intake",
    "trp": "CVP Intake",
    "wci": "CCFB Intake Gate",
}
"""Eleven of the twelve stations of table 5.3 in its row order, EC column: name.

Martinez is ``mrz`` (its series matches DWR's Martinez EC, correlation 0.995; ``mtz`` is another
station). The seed's Middle River Intake is left out: no column of the DSM2 files is that
station. ``old`` (Old River) correlates 0.58 with DWR's Middle River Intake series; ``vcu``
(0.945) is already the Victoria Intake row; against the observed ``OLD_MID`` series of DWR's
workbook the closest columns are ``uni`` (0.93) and ``bdt`` (0.91), neither a seed station
(``../shared/data/README.md``). The seed's mean over the other eleven 4-MTL-P rows is 3.02.
"""

DEFAULT_INPUTS = tuple(SEED_INPUTS)
DEFAULT_STATIONS = tuple(SEED_STATIONS)
