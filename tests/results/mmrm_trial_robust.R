# Robust (cluster-sandwich) covariances of the fixed effects for the MMRM engine, on the
# project's synthetic trial (mmrm_trial_input.csv, as mmrm_trial_nlme.R): the
# unstructured-covariance gls fit, then clubSandwich::vcovCR clustered by subject with
# the fitted covariance as working model: CR0 (the empirical sandwich), CR2
# (bias-reduced, Bell & McCaffrey) and CR3 (jackknife). clubSandwich's CR2 takes a
# different matrix square root than R mmrm's (and rlstrial's); see test_mmrm_r.py.
# Run from this folder: Rscript mmrm_trial_robust.R
# Needs the Debian packages r-base-core r-cran-nlme r-cran-clubsandwich.
suppressPackageStartupMessages({
  library(nlme)
  library(clubSandwich)
})

d <- read.csv("mmrm_trial_input.csv", stringsAsFactors = FALSE)
d$TRT01P <- factor(d$TRT01P, levels = c("control", "massager", "heat", "combined"))
d$AVISIT <- factor(d$AVISIT, levels = c("Baseline", "Week 1", "Week 2", "Week 3", "Week 4"))
d$SITEID <- factor(d$SITEID)
d$VISITNUM <- as.integer(d$AVISIT)

fit <- gls(
  AVAL ~ TRT01P * AVISIT + SITEID,
  data = d,
  correlation = corSymm(form = ~ VISITNUM | USUBJID),
  weights = varIdent(form = ~ 1 | AVISIT),
  method = "REML",
  control = glsControl(tolerance = 1e-10, msTol = 1e-10, maxIter = 500, msMaxIter = 500)
)
rows <- list()
for (type in c("CR0", "CR2", "CR3")) {
  v <- as.matrix(vcovCR(fit, cluster = d$USUBJID, type = type))
  rows[[type]] <- data.frame(
    type = type,
    row = rep(rownames(v), times = ncol(v)),
    column = rep(colnames(v), each = nrow(v)),
    value = as.vector(v)
  )
}
write.csv(do.call(rbind, rows), "mmrm_trial_robust_vcov.csv", row.names = FALSE)
cat("written\n")
