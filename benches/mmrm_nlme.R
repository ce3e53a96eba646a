# Times nlme::gls fitting the MMRM of issue #27 on trials written by
# `trialsim bench --mmrm` (which runs this script and prints the ratio):
# value ~ 0 + visit + visit:arm + visit:baseline, unstructured covariance
# (corSymm + varIdent), REML, nlme's default controls.
#
# Usage: Rscript benches/mmrm_nlme.R TRIALS.csv
#   TRIALS.csv: trial, patient, arm (0/1), baseline, visit (1, 2, ...),
#   value; observed post-baseline values only.
# Prints "fits N failed F seconds S", then "estimate TRIAL VISIT VALUE" for
# the arm effect at every visit of every fitted trial.

args <- commandArgs(trailingOnly = TRUE)
suppressMessages(library(nlme))
d <- read.csv(args[1])
prepare <- function(x) {
  first <- !duplicated(x$patient)
  x$bc <- x$baseline - mean(x$baseline[first])
  x$vis <- factor(x$visit)
  x
}
trials <- lapply(split(d, d$trial), prepare)
fit_one <- function(x) {
  tryCatch(
    gls(value ~ 0 + vis + vis:arm + vis:bc, data = x,
        correlation = corSymm(form = ~ visit | patient),
        weights = varIdent(form = ~ 1 | vis), method = "REML"),
    error = function(e) NULL)
}
fits <- vector("list", length(trials))
seconds <- system.time(
  for (i in seq_along(trials)) fits[[i]] <- fit_one(trials[[i]])
)[["elapsed"]]
failed <- sum(vapply(fits, is.null, logical(1)))
cat(sprintf("fits %d failed %d seconds %.6f\n", length(trials), failed, seconds))
for (i in seq_along(trials)) {
  f <- fits[[i]]
  if (is.null(f)) next
  b <- coef(f)
  for (name in grep(":arm$", names(b), value = TRUE)) {
    visit <- as.integer(sub("^vis([0-9]+):arm$", "\\1", name))
    cat(sprintf("estimate %s %d %.12g\n", names(trials)[i], visit, b[[name]]))
  }
}
