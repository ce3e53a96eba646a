# Reference values for `pool --bias` (issue #22): metafor's trim-and-fill
# and the PET and PEESE regressions (R's lm with weights 1/vi), on the data
# sets of tests/reference/pool. Run from the repository root:
#   Rscript tests/reference/bias/make.R > tests/reference/bias/expected.csv
# (R 4.2.2, metafor 3.8-1 from Debian's r-cran-metafor.)
suppressMessages(library(metafor))
sets <- c("bcg", "hackshaw1998", "molloy2014", "normand1999")
methods <- c("EE", "DL", "PM", "REML")
tight <- list(threshold = 1e-12, tol = 1e-12, maxiter = 10000)
cat("set,method,k0,side,mu,se,ci_lb,ci_ub,pet_mu,pet_se,pet_p,peese_mu,peese_se,peese_p\n")
for (set in sets) {
  d <- read.csv(file.path("tests/reference/pool", paste0(set, ".csv")))
  if (!("vi" %in% names(d))) d$vi <- d$sei^2
  sei <- sqrt(d$vi)
  pet <- summary(lm(d$yi ~ sei, weights = 1 / d$vi))$coefficients
  peese <- summary(lm(d$yi ~ d$vi, weights = 1 / d$vi))$coefficients
  for (m in methods) {
    res <- rma(d$yi, d$vi, method = m, control = tight)
    # metafor 3.8 does not pass the model's `control` on to trimfill's own
    # fits (the trimmed ones and the final refit): give it through `...`,
    # so that every fit is the exact root or maximum.
    tf <- trimfill(res, control = tight)
    cat(sprintf("%s,%s,%d,%s,%.17g,%.17g,%.17g,%.17g,%.17g,%.17g,%.17g,%.17g,%.17g,%.17g\n",
                set, m, tf$k0, tf$side, tf$beta[1], tf$se, tf$ci.lb, tf$ci.ub,
                pet[1, 1], pet[1, 2], pet[1, 4], peese[1, 1], peese[1, 2], peese[1, 4]))
  }
}
