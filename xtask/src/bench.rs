//! Runs the criterion benches and records their estimates in docs/benchmarks.md, between the
//! `<!-- bench:begin -->` and `<!-- bench:end -->` markers, with the command and the commit.

use anyhow::{Context as _, Result, bail};

use crate::util;

pub(crate) fn run(args: &[String]) -> Result<()> {
    let quick = args.iter().any(|a| a == "--quick");
    // The KMS bench calls a local moto server; the guard stops it when the benches are done.
    let moto = crate::moto::Moto::start()?;
    let mut command = util::cargo();
    command.env(crate::moto::ENDPOINT_VAR, moto.endpoint());
    command.args([
        "bench",
        "--package",
        "keyward-bench",
        "--benches",
        "--",
        "--output-format",
        "bencher",
    ]);
    if quick {
        command.args(["--warm-up-time", "1", "--measurement-time", "3"]);
    }
    command.args(args.iter().filter(|a| *a != "--quick"));
    eprintln!("xtask: running {command:?}");
    let output = command.output().context("running cargo bench")?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    print!("{stdout}");
    if !output.status.success() {
        bail!(
            "cargo bench failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let rows: Vec<String> = stdout.lines().filter_map(row).collect();
    if rows.is_empty() {
        bail!("no benchmark results in the output");
    }
    let commit = util::command("git")
        .args(["rev-parse", "--short", "HEAD"])
        .output()?;
    let mut table = format!(
        "Command: `cargo xtask bench{}`, commit `{}`, {} cores.\n\n| benchmark | time per iteration | throughput |\n|---|---|---|\n",
        if quick { " --quick" } else { "" },
        String::from_utf8_lossy(&commit.stdout).trim(),
        std::thread::available_parallelism().map_or(0, usize::from),
    );
    for row in rows {
        table.push_str(&row);
        table.push('\n');
    }
    let path = util::root().join("docs/benchmarks.md");
    let document = std::fs::read_to_string(&path)?;
    let (Some(begin), Some(end)) = (document.find(BEGIN), document.find(END)) else {
        bail!("docs/benchmarks.md lacks the {BEGIN} / {END} markers");
    };
    let updated = format!("{}{BEGIN}\n{table}{}", &document[..begin], &document[end..]);
    std::fs::write(&path, updated)?;
    eprintln!("xtask: recorded the figures in {}", path.display());
    Ok(())
}

/// `test NAME ... bench: 1,234 ns/iter (+/- 56)` → a table row. A trailing `/<bytes>` in the
/// name gives a throughput; otherwise operations per second.
fn row(line: &str) -> Option<String> {
    let rest = line.strip_prefix("test ")?;
    let (name, figures) = rest.split_once(" ... bench:")?;
    let nanos: f64 = figures
        .trim()
        .split(' ')
        .next()?
        .replace(',', "")
        .parse()
        .ok()?;
    let bytes: Option<f64> = name.rsplit('/').next().and_then(|b| b.parse().ok());
    let throughput = match bytes {
        Some(bytes) => format!("{:.0} MiB/s", bytes / nanos * 1e9 / (1024.0 * 1024.0)),
        None => format!("{:.0} ops/s", 1e9 / nanos),
    };
    Some(format!(
        "| `{}` | {} | {throughput} |",
        name.trim(),
        human(nanos)
    ))
}

fn human(nanos: f64) -> String {
    if nanos >= 1e6 {
        format!("{:.2} ms", nanos / 1e6)
    } else if nanos >= 1e3 {
        format!("{:.2} µs", nanos / 1e3)
    } else {
        format!("{nanos:.0} ns")
    }
}

const BEGIN: &str = "<!-- bench:begin -->";
const END: &str = "<!-- bench:end -->";
