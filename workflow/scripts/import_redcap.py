from _common import raw_folder, start_job

sm = snakemake  # noqa: F821
start_job(sm)
from rlstrial.pipeline import import_redcap  # noqa: E402

exports = {name: sm.input[name] for name in ("dictionary", "records", "mapping")}
import_redcap(
    exports, sm.params.config, raw_folder(sm.output.raw), sm.output.queries, sm.output.manifest
)
