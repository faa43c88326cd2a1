# Reference results for the MMRM engine on the project's synthetic trial.
# Input: mmrm_trial_input.csv (made by make_mmrm_trial_input.py).
# Run from this folder: Rscript mmrm_trial_nlme.R
# Needs the Debian packages r-base-core r-cran-nlme r-cran-lme4 r-cran-lmertest r-cran-emmeans.
suppressPackageStartupMessages({
  library(nlme)
  library(emmeans)
  library(lme4)
  library(lmerTest)
})

d <- read.csv("mmrm_trial_input.csv", stringsAsFactors = FALSE)
d$TRT01P <- factor(d$TRT01P, levels = c("control", "massager", "heat", "combined"))
d$AVISIT <- factor(d$AVISIT, levels = c("Baseline", "Week 1", "Week 2", "Week 3", "Week 4"))
d$SITEID <- factor(d$SITEID)
d$VISITNUM <- as.integer(d$AVISIT)

# Unstructured covariance: general correlation x visit-specific variances, REML.
fit <- gls(
  AVAL ~ TRT01P * AVISIT + SITEID,
  data = d,
  correlation = corSymm(form = ~ VISITNUM | USUBJID),
  weights = varIdent(form = ~ 1 | AVISIT),
  method = "REML",
  control = glsControl(tolerance = 1e-10, msTol = 1e-10, maxIter = 500, msMaxIter = 500)
)
coefs <- summary(fit)$tTable
write.csv(
  data.frame(term = rownames(coefs), estimate = coefs[, "Value"], std_error = coefs[, "Std.Error"]),
  "mmrm_trial_nlme_coefficients.csv", row.names = FALSE
)
sigma <- getVarCov(fit, individual = d$USUBJID[d$AVISIT == "Week 4"][1])
write.csv(as.matrix(sigma), "mmrm_trial_nlme_covariance.csv")
write.csv(
  data.frame(statistic = c("logLik_reml", "n_obs"), value = c(as.numeric(logLik(fit)), nrow(d))),
  "mmrm_trial_nlme_fit.csv", row.names = FALSE
)
em <- emmeans(fit, ~ TRT01P | AVISIT, mode = "satterthwaite")
write.csv(as.data.frame(em), "mmrm_trial_nlme_lsmeans.csv", row.names = FALSE)
vs_control <- contrast(em, method = "trt.vs.ctrl", ref = 1, adjust = "none")
write.csv(as.data.frame(vs_control), "mmrm_trial_nlme_vs_control.csv", row.names = FALSE)

# Random-intercept model (sensitivity analysis), lmerTest Satterthwaite df.
ri <- lmer(AVAL ~ TRT01P * AVISIT + SITEID + (1 | USUBJID), data = d, REML = TRUE)
ri_coefs <- summary(ri)$coefficients
write.csv(
  data.frame(
    term = rownames(ri_coefs), estimate = ri_coefs[, "Estimate"], std_error = ri_coefs[, "Std. Error"],
    df = ri_coefs[, "df"]
  ),
  "mmrm_trial_lmer_coefficients.csv", row.names = FALSE
)
vc <- as.data.frame(VarCorr(ri))
write.csv(vc[, c("grp", "vcov")], "mmrm_trial_lmer_variances.csv", row.names = FALSE)
cat("written\n")
