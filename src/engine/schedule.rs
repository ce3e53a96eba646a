//! Where replicate blocks run: on a rayon thread pool (feature `parallel`)
//! or one after another on the calling thread. Either way the same fixed
//! blocks are simulated and handed back in block order, so the fold, and
//! every number of a run, is bit-identical. This is the only code that
//! knows about threads.

use crate::error::Result;
use std::num::NonZeroUsize;

/// The workers a run uses.
#[derive(Debug)]
pub enum Workers {
    /// Every block on the calling thread, in block order: the only
    /// scheduler without the `parallel` feature.
    Sequential,
    /// Blocks on a rayon thread pool, collected in block order.
    #[cfg(feature = "parallel")]
    Pool(rayon::ThreadPool),
}

impl Workers {
    /// `threads` workers (`None`: one per core); without the `parallel`
    /// feature, [`Workers::Sequential`] whatever `threads` says.
    ///
    /// # Errors
    /// [`crate::Error::Internal`] if the thread pool cannot be built.
    pub fn new(threads: Option<NonZeroUsize>) -> Result<Self> {
        #[cfg(feature = "parallel")]
        {
            let mut builder = rayon::ThreadPoolBuilder::new();
            if let Some(t) = threads {
                builder = builder.num_threads(t.get());
            }
            let pool = builder
                .build()
                .map_err(|e| crate::Error::Internal(format!("cannot start worker threads: {e}")))?;
            Ok(Workers::Pool(pool))
        }
        #[cfg(not(feature = "parallel"))]
        {
            let _ = threads;
            Ok(Workers::Sequential)
        }
    }

    /// `f(b)` for every block `b` of `blocks`, results in block order.
    pub fn map_blocks<T: Send>(
        &self,
        blocks: std::ops::Range<u64>,
        f: impl Fn(u64) -> T + Sync + Send,
    ) -> Vec<T> {
        match self {
            Workers::Sequential => blocks.map(f).collect(),
            #[cfg(feature = "parallel")]
            Workers::Pool(pool) => {
                use rayon::prelude::*;
                pool.install(|| blocks.into_par_iter().map(f).collect())
            }
        }
    }
}

impl Default for Workers {
    /// One worker per core, or [`Workers::Sequential`] where no pool can be had.
    fn default() -> Self {
        Workers::new(None).unwrap_or(Workers::Sequential)
    }
}
