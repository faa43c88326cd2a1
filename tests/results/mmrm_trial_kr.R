# Kenward-Roger inference for the random-intercept sensitivity model on the project's
# synthetic trial (mmrm_trial_input.csv, as mmrm_trial_nlme.R): lme4 fit, then
# lmerTest's summary with ddf = "Kenward-Roger" (the adjusted covariance and df of
# pbkrtest) for every coefficient, and pbkrtest's KR F test of the treatment-by-visit
# interaction.
# Run from this folder: Rscript mmrm_trial_kr.R
# Needs the Debian packages r-base-core r-cran-lme4 r-cran-lmertest r-cran-pbkrtest.
suppressPackageStartupMessages({
  library(lme4)
  library(lmerTest)
  library(pbkrtest)
})

d <- read.csv("mmrm_trial_input.csv", stringsAsFactors = FALSE)
d$TRT01P <- factor(d$TRT01P, levels = c("control", "massager", "heat", "combined"))
d$AVISIT <- factor(d$AVISIT, levels = c("Baseline", "Week 1", "Week 2", "Week 3", "Week 4"))
d$SITEID <- factor(d$SITEID)

ri <- lmer(AVAL ~ TRT01P * AVISIT + SITEID + (1 | USUBJID), data = d, REML = TRUE)
kr <- summary(ri, ddf = "Kenward-Roger")$coefficients
write.csv(
  data.frame(
    term = rownames(kr), estimate = kr[, "Estimate"], std_error = kr[, "Std. Error"],
    df = kr[, "df"]
  ),
  "mmrm_trial_lmer_kr_coefficients.csv", row.names = FALSE
)
# the interaction: the model without it against the full model
reduced <- lmer(AVAL ~ TRT01P + AVISIT + SITEID + (1 | USUBJID), data = d, REML = TRUE)
test <- KRmodcomp(ri, reduced)$test
write.csv(
  data.frame(
    test = "TRT01P:AVISIT", num_df = test["Ftest", "ndf"], den_df = test["Ftest", "ddf"],
    f_value = test["Ftest", "stat"], scale = test["Ftest", "F.scaling"]
  ),
  "mmrm_trial_lmer_kr_interaction.csv", row.names = FALSE
)
cat("written\n")
