# Reference numbers for rlstrial.meta from R's metafor, on metafor's own datasets:
#   dat.normand1999 (length of stay, specialist vs routine care; arm means/SDs/n):
#     mean difference (escalc "MD") and standardised mean difference (escalc "SMD",
#     Hedges' g with the exact small-sample correction, default vtype "LS");
#   dat.bcg (BCG vaccine trials): log risk ratio (escalc "RR"), subgroups by `alloc`.
# For every dataset: rma() with method FE, DL, REML and PM, each with test "z" and
# "knha" (Hartung-Knapp-Sidik-Jonkman); predict() for the prediction interval;
# confint() for the Q-profile CIs of tau^2 and I^2. On dat.bcg also: subgroups by
# alloc (separate fits per subgroup + the test of subgroup differences as a
# fixed-effect Q of the subgroup estimates, as RevMan; and a common tau^2 from the
# mixed-effects model mods = ~ alloc - 1, with predict() per subgroup and confint()
# for the Q-profile CI of the residual tau^2, whose QM with an intercept is then the
# test), leave1out() and
# cumul() (ordered by year), and regtest(model = "lm") (Egger's test).
#
# The iterative algorithms run to tight tolerances (metafor's defaults stop at about
# 1e-5 for REML and .Machine$double.eps^0.25 for PM and the Q-profile CI), so that
# the comparison measures our code, not metafor's stopping rule.
#
# Run from this folder: Rscript meta_metafor.R (metafor 3.8 or later). Writes the
# inputs meta_normand_input.csv and meta_bcg_input.csv and the outputs
# meta_metafor_*.csv with 17 significant digits.
suppressPackageStartupMessages(library(metafor))

CONTROL <- list(threshold = 1e-10, maxiter = 10000, tol = 1e-11)
CI_CONTROL <- list(tol = 1e-11, tau2.max = 1e6)
METHODS <- c("FE", "DL", "REML", "PM")

write_full <- function(d, path) {
  d[] <- lapply(d, function(x) if (is.numeric(x)) sprintf("%.17g", x) else x)
  write.csv(d, path, row.names = FALSE, quote = TRUE)
}

fit <- function(yi, vi, method, knha, ...) {
  # metafor warns that Knapp-Hartung is "not meant for FE models"; it still computes it
  suppressWarnings(rma(yi, vi, method = method, test = if (knha) "knha" else "z",
                       control = CONTROL, ...))
}

model_row <- function(dataset, model, method, knha) {
  pred <- predict(model)
  row <- data.frame(
    dataset = dataset, method = method, knha = knha, k = model$k,
    estimate = as.numeric(model$b), se = model$se, statistic = model$zval,
    p_value = model$pval, ci_lower = model$ci.lb, ci_upper = model$ci.ub,
    tau2 = model$tau2, i2 = model$I2, h2 = model$H2, q = model$QE, q_df = model$k - 1,
    q_p = model$QEp,
    pi_lower = if (is.null(pred$pi.lb)) NA_real_ else pred$pi.lb,
    pi_upper = if (is.null(pred$pi.ub)) NA_real_ else pred$pi.ub,
    tau2_ci_lower = NA_real_, tau2_ci_upper = NA_real_,
    i2_ci_lower = NA_real_, i2_ci_upper = NA_real_
  )
  if (method != "FE") {
    ci <- confint(model, control = CI_CONTROL)$random
    row$tau2_ci_lower <- ci["tau^2", "ci.lb"]
    row$tau2_ci_upper <- ci["tau^2", "ci.ub"]
    row$i2_ci_lower <- ci["I^2(%)", "ci.lb"]
    row$i2_ci_upper <- ci["I^2(%)", "ci.ub"]
  }
  row
}

# --- inputs ---------------------------------------------------------------------------
normand <- dat.normand1999
md <- escalc("MD", m1i = m1i, sd1i = sd1i, n1i = n1i, m2i = m2i, sd2i = sd2i, n2i = n2i,
             data = normand)
smd <- escalc("SMD", m1i = m1i, sd1i = sd1i, n1i = n1i, m2i = m2i, sd2i = sd2i, n2i = n2i,
              data = normand)
normand_input <- data.frame(
  study = normand$source, year = 1999L, n_t = normand$n1i, mean_t = normand$m1i,
  sd_t = normand$sd1i, n_c = normand$n2i, mean_c = normand$m2i, sd_c = normand$sd2i,
  yi_md = as.numeric(md$yi), vi_md = as.numeric(md$vi),
  yi_smd = as.numeric(smd$yi), vi_smd = as.numeric(smd$vi)
)
write_full(normand_input, "meta_normand_input.csv")

bcg <- escalc("RR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = dat.bcg)
bcg_input <- data.frame(
  study = paste(bcg$author, bcg$year), year = bcg$year, alloc = bcg$alloc,
  ablat = bcg$ablat, yi = as.numeric(bcg$yi), vi = as.numeric(bcg$vi)
)
write_full(bcg_input, "meta_bcg_input.csv")

# --- overall models -------------------------------------------------------------------
datasets <- list(
  normand_md = list(yi = normand_input$yi_md, vi = normand_input$vi_md),
  normand_smd = list(yi = normand_input$yi_smd, vi = normand_input$vi_smd),
  bcg_rr = list(yi = bcg_input$yi, vi = bcg_input$vi)
)
rows <- list()
for (name in names(datasets)) {
  d <- datasets[[name]]
  for (method in METHODS) {
    for (knha in c(FALSE, TRUE)) {
      rows[[length(rows) + 1]] <- model_row(name, fit(d$yi, d$vi, method, knha), method, knha)
    }
  }
}
write_full(do.call(rbind, rows), "meta_metafor_models.csv")

# --- subgroups of dat.bcg by alloc ----------------------------------------------------
levels_alloc <- sort(unique(bcg_input$alloc))
sub_rows <- list()
test_rows <- list()
for (method in METHODS) {
  for (knha in c(FALSE, TRUE)) {
    # separate fits, one tau^2 per subgroup (RevMan's default)
    est <- c()
    se <- c()
    for (level in levels_alloc) {
      s <- bcg_input[bcg_input$alloc == level, ]
      m <- fit(s$yi, s$vi, method, knha)
      row <- model_row("bcg_rr", m, method, knha)
      sub_rows[[length(sub_rows) + 1]] <- cbind(tau2_mode = "separate", subgroup = level, row)
      est <- c(est, as.numeric(m$b))
      se <- c(se, m$se)
    }
    between <- rma(yi = est, sei = se, method = "FE")
    test_rows[[length(test_rows) + 1]] <- data.frame(
      tau2_mode = "separate", method = method, knha = knha, q_between = between$QE,
      df = between$k - 1, p_value = between$QEp
    )
    if (method == "FE") next
    # a common tau^2: the mixed-effects model with one mean per subgroup
    cell <- suppressWarnings(rma(yi, vi, mods = ~ alloc - 1, data = bcg_input, method = method,
                                 test = if (knha) "knha" else "z", control = CONTROL))
    pred <- predict(cell, newmods = diag(length(levels_alloc)))
    ci <- confint(cell, control = CI_CONTROL)$random
    counts <- as.numeric(table(bcg_input$alloc)[levels_alloc])
    sub_rows[[length(sub_rows) + 1]] <- data.frame(
      tau2_mode = "common", subgroup = levels_alloc, dataset = "bcg_rr", method = method,
      knha = knha, k = counts, estimate = pred$pred, se = pred$se, statistic = cell$zval,
      p_value = cell$pval, ci_lower = pred$ci.lb, ci_upper = pred$ci.ub, tau2 = cell$tau2,
      i2 = NA_real_, h2 = NA_real_, q = NA_real_, q_df = NA_real_, q_p = NA_real_,
      pi_lower = pred$pi.lb, pi_upper = pred$pi.ub,
      tau2_ci_lower = ci["tau^2", "ci.lb"], tau2_ci_upper = ci["tau^2", "ci.ub"],
      i2_ci_lower = NA_real_, i2_ci_upper = NA_real_
    )
    if (!knha) {
      moderated <- rma(yi, vi, mods = ~ alloc, data = bcg_input, method = method,
                       control = CONTROL)
      test_rows[[length(test_rows) + 1]] <- data.frame(
        tau2_mode = "common", method = method, knha = knha, q_between = moderated$QM,
        df = moderated$QMdf[1], p_value = moderated$QMp
      )
    }
  }
}
write_full(do.call(rbind, sub_rows), "meta_metafor_subgroups.csv")
write_full(do.call(rbind, test_rows), "meta_metafor_subgroup_test.csv")

# --- leave-one-out and cumulative (ordered by year) on dat.bcg ------------------------
influence_rows <- list()
cumulative_rows <- list()
for (spec in list(c("REML", "FALSE"), c("DL", "TRUE"))) {
  method <- spec[1]
  knha <- as.logical(spec[2])
  model <- fit(bcg_input$yi, bcg_input$vi, method, knha, slab = bcg_input$study)
  l1 <- leave1out(model)
  influence_rows[[length(influence_rows) + 1]] <- data.frame(
    method = method, knha = knha, omitted = l1$slab, estimate = l1$estimate, se = l1$se,
    statistic = if (knha) l1$tval else l1$zval, p_value = l1$pval, ci_lower = l1$ci.lb,
    ci_upper = l1$ci.ub, q = l1$Q, q_p = l1$Qp, tau2 = l1$tau2, i2 = l1$I2
  )
  cu <- cumul(model, order = bcg_input$year)
  cumulative_rows[[length(cumulative_rows) + 1]] <- data.frame(
    method = method, knha = knha, added = cu$slab, estimate = cu$estimate, se = cu$se,
    statistic = if (knha) cu$tval else cu$zval, p_value = cu$pvals, ci_lower = cu$ci.lb,
    ci_upper = cu$ci.ub, q = cu$Q, q_p = cu$Qp, tau2 = cu$tau2, i2 = cu$I2
  )
}
write_full(do.call(rbind, influence_rows), "meta_metafor_leave1out.csv")
write_full(do.call(rbind, cumulative_rows), "meta_metafor_cumulative.csv")

# --- Egger's regression test on dat.bcg -----------------------------------------------
egger <- regtest(rma(yi, vi, data = bcg_input, method = "FE"), model = "lm")
coefs <- summary(egger$fit)$coefficients
write_full(
  data.frame(
    k = nrow(bcg_input), asymmetry = coefs["Xsei", "Estimate"],
    asymmetry_se = coefs["Xsei", "Std. Error"], statistic = egger$zval, df = egger$dfs,
    p_value = egger$pval, limit_estimate = egger$est, limit_se = coefs["Xintrcpt", "Std. Error"],
    limit_ci_lower = egger$ci.lb, limit_ci_upper = egger$ci.ub
  ),
  "meta_metafor_egger.csv"
)
cat("written\n")
