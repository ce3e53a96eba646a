# Reference values for `trialsim pool --by COLUMN` (the subgroup analysis)
# from R's metafor: rma(yi, vi, mods = ~ factor(g)) for the test of
# subgroup differences (QM, its df and p), tau² and QE, and
# rma(yi, vi, mods = ~ 0 + factor(g)) for each level's estimate, SE and CI,
# for every model (EE, DL, PM, REML) and test (z, knha, adhoc) at 95%.
#
# Writes tests/reference/subgroups/<set>.csv (study,yi,vi and the grouping
# column, 17 significant digits), omnibus.csv and levels.csv. The
# iterations run to tight tolerances (threshold and tol 1e-13): metafor's
# defaults leave tau² good to only about 1e-5. The tests need no R.
#
# Run from the repository root:  Rscript tests/reference/subgroups/make.R
# (R 4.2, metafor 3.8-1, metadat 1.2-0 when the files were made.)

suppressMessages(library(metafor))
out <- "tests/reference/subgroups"

bcg <- escalc(measure = "RR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = dat.bcg)
sets <- list(
  # BCG vaccine trials (Colditz et al. 1994), log risk ratios, by allocation.
  bcg = list(d = bcg, column = "alloc", g = as.character(bcg$alloc)),
  # Writing-to-learn interventions (Bangert-Drowns et al. 2004), SMDs, by grade level.
  bangertdrowns2004 = list(d = dat.bangertdrowns2004, column = "grade",
                           g = paste0("grade", dat.bangertdrowns2004$grade))
)

f <- function(x) if (is.null(x) || length(x) == 0 || is.na(x)) "NA" else sprintf("%.17g", x)
omnibus <- list()
levels <- list()
tight <- list(threshold = 1e-13, tol = 1e-13, maxiter = 10000)
for (name in names(sets)) {
  s <- sets[[name]]
  d <- data.frame(yi = as.numeric(s$d$yi), vi = as.numeric(s$d$vi), g = s$g)
  file <- data.frame(study = paste0("s", seq_along(d$yi)),
                     yi = sprintf("%.17g", d$yi), vi = sprintf("%.17g", d$vi), g = d$g)
  names(file)[4] <- s$column
  write.csv(file, file.path(out, paste0(name, ".csv")), row.names = FALSE, quote = FALSE)
  for (method in c("EE", "DL", "PM", "REML")) {
    for (test in c("z", "knha", "adhoc")) {
      fit <- suppressWarnings(rma(yi, vi, mods = ~ factor(g), data = d, method = method,
                                  test = test, control = tight))
      omnibus[[length(omnibus) + 1]] <- c(
        set = name, method = method, test = test, tau2 = f(fit$tau2), qm = f(fit$QM),
        df1 = f(fit$QMdf[1]), df2 = f(fit$QMdf[2]), p = f(fit$QMp), qe = f(fit$QE))
      cell <- suppressWarnings(rma(yi, vi, mods = ~ 0 + factor(g), data = d, method = method,
                                   test = test, control = tight))
      for (j in seq_along(cell$b)) {
        levels[[length(levels) + 1]] <- c(
          set = name, method = method, test = test,
          level = sub("^factor\\(g\\)", "", rownames(cell$b)[j]),
          mu = f(cell$b[j]), se = f(cell$se[j]), ci_lb = f(cell$ci.lb[j]), ci_ub = f(cell$ci.ub[j]))
      }
    }
  }
}
write.csv(do.call(rbind, omnibus), file.path(out, "omnibus.csv"), row.names = FALSE, quote = FALSE)
write.csv(do.call(rbind, levels), file.path(out, "levels.csv"), row.names = FALSE, quote = FALSE)
