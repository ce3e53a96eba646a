//! Scale-out: shards plus `merge` give exactly the files of an unsharded run.

use std::fs;
use std::path::Path;

use crate::trialsim;

fn same_files(a: &Path, b: &Path) {
    for name in ["summary.json", "summary.csv", "scenario.resolved.toml"] {
        let (x, y) = (
            fs::read(a.join(name)).unwrap(),
            fs::read(b.join(name)).unwrap(),
        );
        assert!(
            x == y,
            "{name} differs between {} and {}",
            a.display(),
            b.display()
        );
    }
}

/// `trialsim run --replicates R --quiet [extra] [--shard=S] --out OUT`, which must succeed.
fn run(replicates: u32, shard: Option<&str>, extra: &[&str], out: &Path) {
    let mut c = trialsim();
    c.args(["run", "--replicates", &replicates.to_string(), "--quiet"])
        .args(extra);
    if let Some(shard) = shard {
        c.arg(format!("--shard={shard}"));
    }
    crate::ok(c.arg("--out").arg(out));
}

/// `trialsim merge SHARDS --out OUT`, which must succeed.
fn merge_into(shards: &Path, out: &Path) {
    crate::ok(
        trialsim()
            .arg("merge")
            .arg(shards)
            .arg("--out")
            .arg(out)
            .arg("--quiet"),
    );
}

#[test]
fn three_shards_merge_to_the_unsharded_run_byte_for_byte() {
    // The default scenario: a sweep of 9 design points and a simulated
    // literature; 2 600 replicates = 11 blocks, split unevenly over 3 shards,
    // each run with a different thread count.
    let dir = tempfile::tempdir().unwrap();
    let shards = dir.path().join("shards");
    for (i, threads) in [(1, "1"), (2, "2"), (3, "3")] {
        run(
            2600,
            Some(&format!("{i}/3")),
            &["--threads", threads],
            &shards,
        );
    }
    merge_into(&shards, &dir.path().join("merged"));
    run(2600, None, &[], &dir.path().join("whole"));
    same_files(&dir.path().join("merged"), &dir.path().join("whole"));

    // More shards than blocks: empty shards are fine.
    let many = dir.path().join("many");
    for i in 1..=5 {
        run(500, Some(&format!("{i}/5")), &[], &many);
    }
    merge_into(&many, &dir.path().join("many_merged"));
    run(500, None, &[], &dir.path().join("many_whole"));
    same_files(
        &dir.path().join("many_merged"),
        &dir.path().join("many_whole"),
    );
}

#[test]
fn merge_refuses_incomplete_or_mixed_shards() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a");
    for i in [1, 3] {
        run(600, Some(&format!("{i}/3")), &[], &a);
    }
    let merge = |dirs: &[&Path]| {
        let mut c = trialsim();
        c.arg("merge");
        for d in dirs {
            c.arg(d);
        }
        c.arg("--out").arg(dir.path().join("m")).output().unwrap()
    };
    let out = merge(&[&a]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "error: shard 2/3 is missing\n"
    );
    // A shard of another seed.
    let b = dir.path().join("b");
    run(600, Some("2/3"), &["--seed", "9"], &b);
    let out = merge(&[&a, &b]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is from a different run than"));
    // The same shard twice.
    let c = dir.path().join("c");
    run(600, Some("3/3"), &[], &c);
    let out = merge(&[&a, &c]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).starts_with("error: shard 3/3 appears twice"));
    // Not a shard folder; --shard with --precision; a bad --shard.
    let out = merge(&[dir.path()]);
    assert_eq!(out.status.code(), Some(2));
    let out = trialsim()
        .args([
            "run",
            "--shard=1/2",
            "--precision",
            "0.01",
            "--quiet",
            "--out",
        ])
        .arg(dir.path().join("p"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot be combined with --shard"));
    let out = trialsim().args(["run", "--shard=4/3"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}
