# Reference values for `trialsim pool` from R's metafor (rma.uni, predict).
#
# Writes tests/reference/pool/<name>.csv (study,yi,vi, 17 significant digits)
# and tests/reference/pool/expected.csv: one row per data set, model
# (EE, DL, PM, REML), test (z, knha, adhoc) and level (0.95, 0.90), with
# mu, se, ci_lb, ci_ub, zval, pval, tau2, I2 (metafor's, tau²-based, in %),
# QE, QEp and the prediction interval of MODEL.md §4 (Riley et al. 2011),
# mu ± t_{k-2} · sqrt(tau² + SE²) with the Wald fit's mu, SE and tau²,
# written out below (metafor 3.8's predict() uses z or t_{k-1} instead).
# The iterations run to tight tolerances (control: threshold and tol
# 1e-12), so that PM and REML are their exact roots and maxima rather than
# metafor's defaults (PM's uniroot tol is about 1.2e-4). The tests need no
# R: they read these files.
#
# Run from the repository root:  Rscript tests/reference/metafor_pool.R
# (R 4.2, metafor 3.8-1, metadat 1.2-0 when the files were made.)

suppressMessages(library(metafor))
out <- "tests/reference/pool"

sets <- list(
  bcg = escalc(measure = "RR", ai = tpos, bi = tneg, ci = cpos, di = cneg,
               data = dat.bcg),
  hackshaw1998 = dat.hackshaw1998,
  normand1999 = escalc(measure = "MD", m1i = m1i, sd1i = sd1i, n1i = n1i,
                       m2i = m2i, sd2i = sd2i, n2i = n2i, data = dat.normand1999),
  molloy2014 = escalc(measure = "ZCOR", ri = ri, ni = ni, data = dat.molloy2014)
)

rows <- list()
f <- function(x) if (is.null(x) || length(x) == 0 || is.na(x)) "NA" else sprintf("%.17g", x)
for (name in names(sets)) {
  d <- sets[[name]]
  write.csv(data.frame(study = paste0("s", seq_along(d$yi)),
                       yi = sprintf("%.17g", as.numeric(d$yi)),
                       vi = sprintf("%.17g", as.numeric(d$vi))),
            file.path(out, paste0(name, ".csv")), row.names = FALSE, quote = FALSE)
  for (method in c("EE", "DL", "PM", "REML")) {
    for (test in c("z", "knha", "adhoc")) {
      for (level in c(0.95, 0.90)) {
        tight <- list(threshold = 1e-12, tol = 1e-12, maxiter = 10000)
        fit <- suppressWarnings(rma(yi, vi, data = d, method = method, test = test,
                                    level = 100 * level, control = tight))
        wald <- suppressWarnings(rma(yi, vi, data = d, method = method, test = "z",
                                     level = 100 * level, control = tight))
        half <- qt(1 - (1 - level) / 2, df = wald$k - 2) * sqrt(wald$tau2 + wald$se^2)
        pred <- if (method == "EE") NULL else list(pi.lb = wald$b[1] - half, pi.ub = wald$b[1] + half)
        rows[[length(rows) + 1]] <- c(
          set = name, method = method, test = test, level = f(level),
          mu = f(fit$b[1]), se = f(fit$se), ci_lb = f(fit$ci.lb), ci_ub = f(fit$ci.ub),
          zval = f(fit$zval), pval = f(fit$pval), tau2 = f(fit$tau2), I2 = f(fit$I2),
          QE = f(fit$QE), QEp = f(fit$QEp),
          pi_lb = if (is.null(pred)) "NA" else f(pred$pi.lb),
          pi_ub = if (is.null(pred)) "NA" else f(pred$pi.ub))
      }
    }
  }
}
write.csv(do.call(rbind, rows), file.path(out, "expected.csv"), row.names = FALSE, quote = FALSE)
