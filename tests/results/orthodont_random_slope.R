# A random intercept and slope (in age) for the Potthoff & Roy growth data (the
# orthodont_input.csv written by orthodont_type3.R), complete and with every 5th row
# left out: lme4's REML fit, its variance components, and the fixed effects with lmerTest's Satterthwaite df and with the
# Kenward-Roger adjusted SE and df (pbkrtest, expected information).
# Run from this folder: Rscript orthodont_random_slope.R
# Needs the Debian packages r-base-core r-cran-lme4 r-cran-lmertest r-cran-pbkrtest.
suppressPackageStartupMessages({
  library(lme4)
  library(lmerTest)
})

d <- read.csv("orthodont_input.csv", stringsAsFactors = FALSE)
d$Sex <- factor(d$Sex, levels = c("Female", "Male"))
rows <- list()
for (variant in c("complete", "unbalanced")) {
  # unbalanced: every 5th row left out (rows 1, 6, 11, ...), so that df and the KR
  # adjustment are not trivial (every 7th from row 3 leaves G singular)
  data <- if (variant == "complete") d else d[-seq(1, nrow(d), by = 5), ]
  fit <- lmer(
    distance ~ Sex * age + (1 + age | Subject), data = data, REML = TRUE,
    control = lmerControl(optimizer = "bobyqa", optCtrl = list(rhoend = 1e-12))
  )
  components <- as.data.frame(VarCorr(fit))
  satterthwaite <- summary(fit)$coefficients
  kr <- summary(fit, ddf = "Kenward-Roger")$coefficients
  rows[[variant]] <- data.frame(
    variant = variant,
    term = rownames(satterthwaite),
    estimate = satterthwaite[, "Estimate"],
    std_error = satterthwaite[, "Std. Error"],
    df = satterthwaite[, "df"],
    kr_std_error = kr[, "Std. Error"],
    kr_df = kr[, "df"],
    minus2_reml = -2 * as.numeric(logLik(fit)),
    g11 = components$vcov[1],
    g21 = components$vcov[3],
    g22 = components$vcov[2],
    residual = components$vcov[4]
  )
}
write.csv(do.call(rbind, rows), "orthodont_random_slope.csv", row.names = FALSE)
cat("written\n")
