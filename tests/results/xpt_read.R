# What R reads from the SAS V5 transport file that rlstrial.submission.write_xpt wrote
# from the literal fixture of tests/test_submission.py (FIXTURE):
# xpt_adsl_fixture.xpt (rewrite it with `python tests/test_submission.py`).
# Two independent readers:
#   foreign::read.xport and foreign::lookup.xport (the recommended package that reads
#     SAS V5 transport files: values, and per variable label, type, length, format),
#   haven::read_xpt (ReadStat's reader in R: dates as dates, the dataset label).
# Outputs:
#   xpt_read_r.csv            one row per record x variable: foreign's value (numbers
#                             with 17 significant digits; dates as SAS day numbers;
#                             missing as NA) and haven's (dates as ISO 8601 dates)
#   xpt_read_r_variables.csv  one row per variable: the member (dataset) name and label,
#                             then name, label, type, length and format of the variable
#                             (foreign; its format leaves out the width), and the label
#                             and format as haven reads them
# Run from this folder: Rscript xpt_read.R
# Written with R 4.2.2, foreign 0.8.84, haven 2.5.1 (Debian r-recommended, r-cran-haven).
suppressPackageStartupMessages({
  library(foreign)
  library(haven)
})

path <- "xpt_adsl_fixture.xpt"
by_foreign <- read.xport(path)
by_haven <- read_xpt(path)
info <- lookup.xport(path)
stopifnot(length(info) == 1)
member <- names(info)[1]
variables <- info[[member]]

as_text <- function(values) {
  if (inherits(values, "Date")) {
    return(ifelse(is.na(values), NA, format(values, "%Y-%m-%d")))
  }
  if (is.numeric(values)) {
    return(ifelse(is.na(values), NA, sprintf("%.17g", values)))
  }
  as.character(values)
}

rows <- list()
for (name in names(by_foreign)) {
  rows[[name]] <- data.frame(
    row = seq_len(nrow(by_foreign)),
    variable = name,
    foreign_class = class(by_foreign[[name]])[1],
    foreign_value = as_text(by_foreign[[name]]),
    haven_class = class(by_haven[[name]])[1],
    haven_value = as_text(by_haven[[name]])
  )
}
values <- do.call(rbind, rows)
write.csv(values, "xpt_read_r.csv", row.names = FALSE, na = "NA")

metadata <- data.frame(
  dataset = member,
  dataset_label = attr(by_haven, "label"),
  variable = variables$name,
  label = variables$label,
  type = variables$type,
  length = variables$width,
  format = variables$format,
  haven_label = sapply(names(by_haven), function(name) attr(by_haven[[name]], "label")),
  haven_format = sapply(names(by_haven), function(name) {
    format <- attr(by_haven[[name]], "format.sas")
    if (is.null(format)) "" else format
  })
)
write.csv(metadata, "xpt_read_r_variables.csv", row.names = FALSE, na = "")
