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
    "mtz": "Martinez",
    "old": "Middle River Intake",
    "vcu": "Victoria Intake",
    "trp": "CVP Intake",
    "wci": "CCFB Intake Gate",
}
"""The twelve stations of table 5.3 in its row order, EC column: name.

The files have no certain code for the seed's Middle River Intake; ``old`` (Old River) stands in.
"""

DEFAULT_INPUTS = tuple(SEED_INPUTS)
DEFAULT_STATIONS = tuple(SEED_STATIONS)
