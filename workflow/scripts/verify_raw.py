from _common import raw_folder, start_job

sm = snakemake  # noqa: F821
start_job(sm)
from rlstrial.pipeline import verify_raw  # noqa: E402

names = ("dictionary", "records", "manifest")  # the REDCap exports, on that route only
exports = dict(zip(names, sm.input.exports, strict=True)) if sm.input.exports else None
verify_raw(raw_folder(sm.input.raw), sm.input.manifest, sm.output.report, exports)
