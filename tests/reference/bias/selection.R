# Reference values for the step-function selection model of `pool --bias`
# (issue #22): metafor's selmodel(rma(yi, vi, method = m), type = "stepfun",
# steps = 0.025) — one cut at one-sided p = 0.025, alternative "greater",
# fitted by maximum likelihood — on the two data sets where delta is
# identified (on bcg and normand1999 it runs to metafor's bound of 100).
# optim's BFGS is run to reltol 1e-14 so that the reference is the maximum.
# Run from the repository root:
#   Rscript tests/reference/bias/selection.R > tests/reference/bias/selection.csv
# (R 4.2.2, metafor 3.8-1.)
suppressMessages(library(metafor))
cat("set,method,mu,se,delta,lrt_p,tau2\n")
for (set in c("hackshaw1998", "molloy2014")) {
  d <- read.csv(file.path("tests/reference/pool", paste0(set, ".csv")))
  for (m in c("EE", "REML")) {
    res <- rma(d$yi, d$vi, method = m)
    sel <- selmodel(res, type = "stepfun", steps = 0.025,
                    control = list(optimizer = "optim", optmethod = "BFGS", reltol = 1e-14))
    cat(sprintf("%s,%s,%.17g,%.17g,%.17g,%.17g,%.17g\n", set, m, sel$beta[1], sel$se,
                sel$delta[2], sel$LRTp, sel$tau2))
  }
}
