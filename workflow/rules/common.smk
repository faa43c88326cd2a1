# Configuration checks and shared paths.

from rlstrial.config import SCHEMA_PATH, validate_config
from rlstrial.rawdata import RAW_FILES


# The schema fills defaults; validate_config also checks the parts agree.
validate_config(config)

RAW = config["paths"]["raw"]
PROCESSED = config["paths"]["processed"]
RESULTS = config["paths"]["results"]
LOGS = f"{RESULTS}/logs"
RAW_INPUTS = [f"{RAW}/{name}" for name in RAW_FILES]
