//! One implementation of the elementary functions on every target, so the
//! classroom page (WebAssembly) and the command line give the same bits
//! (issue #24).
//!
//! Rust's `f64::exp`, `ln`, `powf`, `sin`, … call the platform's C math
//! library: glibc's on Linux, and on wasm32-unknown-unknown the pure-Rust
//! `libm` that the compiler's builtins carry. The two agree to an ulp or so,
//! not to the bit, and an ulp in the true effect or a pooled estimate shows
//! in `summary.json`'s last digits. Here the native build defines those C
//! symbols itself, forwarding to the `libm` crate (the same code the
//! WebAssembly build runs), and the linker takes a definition in the
//! program before the shared C library's. So every call in the process —
//! ours, statrs', rand_distr's — computes the same function on both
//! targets. Results differ from trialsim 0.2.0's in their last digits only
//! (the reason for 0.3.0). `libm` is within 1 ulp of the correctly rounded
//! result for these functions, as glibc is.
//!
//! The symbol list is what the release binary imports from the C library's
//! math (`nm -D --undefined-only`), plus the functions std's `f64` methods
//! may call, so a new use cannot silently fall back to glibc. The unit test
//! below fails without this module (thousands of its 20 000 arguments give
//! glibc's bits); the classroom page's end-to-end test compares the whole
//! `summary.json` of the page with the command line's.

#![allow(unsafe_code)]

macro_rules! same_math {
    ($($name:ident($($arg:ident),+)),+ $(,)?) => {
        $(
            #[doc = concat!("`", stringify!($name), "` from the `libm` crate, for every caller in the process.")]
            #[unsafe(no_mangle)]
            pub extern "C" fn $name($($arg: f64),+) -> f64 {
                libm::$name($($arg),+)
            }
        )+
    };
}

same_math!(
    exp(x),
    exp2(x),
    expm1(x),
    log(x),
    log2(x),
    log10(x),
    log1p(x),
    pow(x, y),
    hypot(x, y),
    sin(x),
    cos(x),
    tan(x),
    asin(x),
    acos(x),
    atan(x),
    atan2(y, x),
    sinh(x),
    cosh(x),
    tanh(x),
    cbrt(x),
    erf(x),
    erfc(x),
    tgamma(x),
    lgamma(x),
);

/// `sincos` from the `libm` crate: compilers merge `sin(x)` and `cos(x)` of
/// one `x` into it.
///
/// # Safety
/// `s` and `c` must be valid for writes, as C's `sincos` requires.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sincos(x: f64, s: *mut f64, c: *mut f64) {
    let (sin, cos) = libm::sincos(x);
    // SAFETY: the caller (compiled code calling C's sincos) passes valid pointers.
    unsafe {
        *s = sin;
        *c = cos;
    }
}

#[cfg(test)]
mod tests {
    /// The process computes with `libm`: `f64::exp` gives its bits, not
    /// glibc's, where the two differ (values found by search: glibc's `exp`
    /// differs from `libm`'s at these arguments).
    #[test]
    fn f64_methods_use_libm() {
        let mut checked = 0;
        for i in 1..20_000 {
            let x = -7.0 + i as f64 * 7.31e-4;
            let y = std::hint::black_box(x);
            assert_eq!(y.exp().to_bits(), libm::exp(x).to_bits(), "exp({x})");
            assert_eq!(
                y.abs().ln().to_bits(),
                libm::log(x.abs()).to_bits(),
                "ln({x})"
            );
            assert_eq!(y.sin().to_bits(), libm::sin(x).to_bits(), "sin({x})");
            assert_eq!(y.powf(1.37).to_bits(), libm::pow(x, 1.37).to_bits());
            checked += 1;
        }
        assert_eq!(checked, 19_999);
    }
}
