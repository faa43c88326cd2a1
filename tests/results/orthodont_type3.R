# Type III tests with a continuous covariate interacting with a class effect
# (distance ~ Sex * age), as SAS PROC MIXED defines them: the class main effect at
# age 0, the age main effect as the equal-weight average of the sex-specific slopes.
# car::Anova(type = 3) with sum-to-zero contrasts tests exactly these hypotheses; with
# age centred at its mean it tests the "balanced at the mean" variant instead.
# Data: Orthodont from nlme (Potthoff & Roy 1964 growth data, the data of SAS PROC
# MIXED documentation example "Repeated Measures"), written to orthodont_input.csv.
# Run from this folder: Rscript orthodont_type3.R
# Needs the Debian packages r-base-core r-cran-nlme r-cran-car.
suppressPackageStartupMessages({
  library(nlme)
  library(car)
})

d <- as.data.frame(Orthodont)
d$Subject <- as.character(d$Subject)
d$Sex <- as.character(d$Sex)
write.csv(d[, c("Subject", "Sex", "age", "distance")], "orthodont_input.csv", row.names = FALSE)

d$Sex <- factor(d$Sex, levels = c("Female", "Male"))
d$visit <- as.integer(factor(d$age))
d$age_centred <- d$age - mean(d$age)
options(contrasts = c("contr.sum", "contr.poly"))

rows <- list()
# REML only: for ML fits nlme scales the coefficients' covariance by N / (N - p)
# relative to SAS (and to rlstrial), so its ML F values are not comparable.
for (method in c("REML")) {
  for (covariates in c("zero", "mean")) {
    formula <- if (covariates == "zero") distance ~ Sex * age else distance ~ Sex * age_centred
    # unstructured covariance: general correlation x age-specific variances
    fit <- gls(
      formula,
      data = d,
      correlation = corSymm(form = ~ visit | Subject),
      weights = varIdent(form = ~ 1 | age),
      method = method,
      control = glsControl(tolerance = 1e-12, msTol = 1e-12, maxIter = 500, msMaxIter = 500)
    )
    tests <- Anova(fit, type = 3)
    tests <- tests[rownames(tests) != "(Intercept)", ]
    rows[[length(rows) + 1]] <- data.frame(
      method = tolower(method),
      covariates = covariates,
      term = sub("age_centred", "age", rownames(tests)),
      num_df = tests$Df,
      f_value = tests$Chisq / tests$Df
    )
  }
}
write.csv(do.call(rbind, rows), "orthodont_type3.csv", row.names = FALSE)
