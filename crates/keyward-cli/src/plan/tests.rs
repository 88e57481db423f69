//! The worked cases and the edges of the planner.

use super::*;
use clap::Parser;

#[derive(Debug, Parser)]
struct Cli {
    #[command(flatten)]
    plan: PlanArgs,
}

fn args(argv: &[&str]) -> PlanArgs {
    Cli::try_parse_from(std::iter::once("plan").chain(argv.iter().copied()))
        .unwrap()
        .plan
}

fn plan_of(argv: &[&str]) -> Plan {
    plan(&Inputs::from_args(&args(argv)).unwrap().unwrap()).unwrap()
}

fn close(actual: f64, expected: f64) -> bool {
    (actual - expected).abs() <= 1e-6 * expected.abs().max(1.0)
}

/// A file under the temporary directory, removed when dropped.
struct TempFile(PathBuf);

impl TempFile {
    pub(super) fn new(name: &str, contents: &str) -> Self {
        let path =
            std::env::temp_dir().join(format!("keyward-plan-{}-{name}.json", std::process::id()));
        std::fs::write(&path, contents).unwrap();
        Self(path)
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[test]
fn case1_rate_limit_sets_the_reuse() {
    let plan = plan_of(&["--tps", "1000", "--rate-limit", "100"]);
    assert_eq!(plan.rate_need, Some(10));
    assert_eq!(plan.reuse.chosen, 10);
    assert_eq!(plan.effective, 10);
    assert!(close(plan.calls.peak_per_second, 100.0));
    let goal = plan.rate_goal.unwrap();
    assert!(goal.met);
    assert!(close(plan.calls.savings, 0.9));
    assert_eq!(plan.max_age.seconds, 1.0);
    let text = plan.text();
    assert!(
        text.contains("messages per data key: max(rate 10, budget 1) = 10"),
        "{text}"
    );
    assert!(
        text.contains("rate limit 100/s: peak 100 calls/s ≤ 100: met"),
        "{text}"
    );
}

#[test]
fn case2_budget_sets_the_reuse() {
    let argv = [
        "--tps",
        "1000",
        "--price-per-call",
        "0.01",
        "--budget",
        "100000",
    ];
    let plan = plan_of(&argv);
    let need = plan.budget_need.unwrap();
    assert!(close(need.calls_allowed, 10_000_000.0));
    assert!(close(need.calls_without, 2_592_000_000.0));
    assert_eq!(need.messages, 260);
    assert_eq!(plan.reuse.chosen, 260);
    let cost = plan.calls.cost_per_month.unwrap();
    assert!(cost <= 100_000.0 && cost > 99_000.0, "{cost}");
    assert!(plan.budget_goal.unwrap().met);

    let text = plan.text();
    assert!(
        text.contains("month: a 30-day month = 2,592,000 s"),
        "{text}"
    );
    assert!(
        text.contains(
            "messages per data key for the budget: ceil(2,592,000,000 / 10,000,000) = \
             ceil(259.2) = 260"
        ),
        "{text}"
    );
    assert!(
        text.contains("cost per month: 9,969,231 × $0.01 = $99,692.31"),
        "{text}"
    );

    let long = plan_of(&[&argv[..], &["--month-days", "31"]].concat());
    assert_eq!(long.reuse.chosen, 268);
    assert!(long.calls.cost_per_month.unwrap() <= 100_000.0);
    assert!(long.text().contains("a 31-day month = 2,678,400 s"));
}

#[test]
fn case3_bursty_reuses_up_to_the_security_limit() {
    let plan = plan_of(&[
        "--traffic",
        "bursty",
        "--burst-tps",
        "100",
        "--burst-seconds",
        "5",
        "--burst-period",
        "60",
        "--price-per-call",
        "0.01",
        "--max-messages-limit",
        "3",
        "--max-age-limit",
        "20",
    ]);
    assert_eq!(plan.reuse.chosen, 3);
    assert_eq!(plan.reuse.burst, Some(3));
    assert_eq!(plan.max_age.seconds, 20.0);
    assert_eq!(plan.max_age.rule, AgeRule::BelowGap);
    let bursts = plan.rates.bursts.unwrap();
    assert!(close(bursts.gap, 55.0));
    assert!(close(bursts.messages, 500.0));
    assert_eq!(plan.calls.per_burst, Some(167.0));
    assert!(plan.calls.savings >= 0.66, "{}", plan.calls.savings);
    assert!(close(plan.calls.per_month, 167.0 * 43_200.0));
    let text = plan.text();
    assert!(
        text.contains("calls per burst: 500 → ceil(500 / 3) = 167"),
        "{text}"
    );
    assert!(text.contains("bursty: reuse up to the security limit within a burst"));
    assert!(
        text.contains("max age: min(limit 20 s, gap 55 s) = 20 s"),
        "{text}"
    );
}

#[test]
fn case4_the_byte_limit_binds_and_the_budget_is_not_met() {
    let plan = plan_of(&[
        "--tps",
        "100",
        "--price-per-call",
        "1.00",
        "--budget",
        "10000",
        "--message-size",
        "1000000",
        "--max-bytes-limit",
        "10GB",
    ]);
    assert_eq!(plan.reuse.chosen, 25_920);
    assert_eq!(plan.bytes.threshold, Some(10_000_000_000));
    assert_eq!(plan.effective, 10_000);
    assert_eq!(plan.bound, Bound::Bytes);
    let goal = plan.budget_goal.unwrap();
    assert!(!goal.met);
    assert!(close(goal.actual, 25_920.0));
    let text = plan.text();
    assert!(text.contains("bounded by bytes, not messages"), "{text}");
    assert!(
        text.contains("NOT MET: budget $10,000.00 per month: cost $25,920.00 > $10,000.00"),
        "{text}"
    );
}

#[test]
fn a_message_limit_below_the_need_caps_and_reports_the_goal() {
    let plan = plan_of(&[
        "--tps",
        "1000",
        "--rate-limit",
        "100",
        "--max-messages-limit",
        "5",
    ]);
    assert_eq!(plan.reuse.needed, 10);
    assert_eq!(plan.reuse.chosen, 5);
    let goal = plan.rate_goal.unwrap();
    assert!(!goal.met);
    assert!(close(goal.actual, 200.0));
    let text = plan.text();
    assert!(
        text.contains("NOT MET: the rate limit needs 10 messages per data key"),
        "{text}"
    );
}

#[test]
fn many_contexts_let_the_max_age_bound_the_reuse() {
    let plan = plan_of(&[
        "--tps",
        "1000",
        "--rate-limit",
        "100",
        "--distinct-contexts",
        "100000",
    ]);
    // 0.01 messages/s per entry: 2 × 1,000 s is past the 300 s limit, where 3 fit.
    assert_eq!(plan.max_age.seconds, 300.0);
    assert_eq!(plan.age_bound, Some(3));
    assert_eq!(plan.bound, Bound::Age);
    assert!(!plan.rate_goal.unwrap().met);
}

#[test]
fn bursts_without_gaps_are_steady() {
    let plan = plan_of(&[
        "--traffic",
        "bursty",
        "--burst-tps",
        "50",
        "--burst-seconds",
        "60",
        "--burst-period",
        "60",
    ]);
    assert_eq!(plan.rates.bursts, None);
    assert!(close(plan.rates.average, 50.0));
}

#[test]
fn a_burst_age_limit_past_the_gap_stops_a_second_short() {
    let plan = plan_of(&[
        "--traffic",
        "bursty",
        "--burst-tps",
        "100",
        "--burst-seconds",
        "5",
        "--burst-period",
        "60",
    ]);
    assert_eq!(plan.max_age.rule, AgeRule::GapLessOne);
    assert_eq!(plan.max_age.seconds, 54.0);
}

#[test]
fn bad_inputs_are_one_line_errors() {
    let error = |argv: &[&str]| {
        let args = args(argv);
        match Inputs::from_args(&args) {
            Err(error) => error.to_string(),
            Ok(inputs) => format!("{:#}", plan(&inputs.unwrap()).unwrap_err()),
        }
    };
    assert_eq!(
        error(&["--tps=-1"]),
        "--tps must be a positive number, not -1"
    );
    assert_eq!(
        error(&["--tps", "NaN"]),
        "--tps must be a positive number, not NaN"
    );
    assert_eq!(
        error(&["--tps", "1", "--distinct-contexts", "0"]),
        "--distinct-contexts must be at least 1"
    );
    assert_eq!(
        error(&[
            "--traffic",
            "bursty",
            "--burst-tps",
            "1",
            "--burst-seconds",
            "1"
        ]),
        "--burst-period is required for --traffic bursty"
    );
    assert_eq!(
        error(&["--burst-tps", "1"]),
        "--burst-tps is for --traffic bursty"
    );
    let inputs = Inputs {
        budget: Some(1.0),
        ..Inputs::new(Load::Steady { tps: 1.0 })
    };
    assert_eq!(
        format!("{:#}", plan(&inputs).unwrap_err()),
        "--budget needs --price-per-call"
    );
    assert!(Cli::try_parse_from(["plan", "--tps", "1", "--budget", "5"]).is_err());
    let no_traffic = report(&args(&[])).unwrap_err().to_string();
    assert!(no_traffic.contains("--from-run"), "{no_traffic}");
}

#[test]
fn huge_inputs_do_not_panic() {
    let plan = plan_of(&[
        "--tps",
        "1e300",
        "--rate-limit",
        "1e-300",
        "--price-per-call",
        "1e300",
        "--message-size",
        "18446744073709551615",
        "--max-bytes-limit",
        "1",
    ]);
    assert_eq!(plan.reuse.chosen, u64::MAX);
    assert_eq!(plan.effective, 1);
    assert!(!plan.text().is_empty());
    assert!(plan.json().is_object());
}

#[test]
fn byte_sizes_parse() {
    assert_eq!(parse_byte_size("10GB"), Ok(10_000_000_000));
    assert_eq!(parse_byte_size("10GiB"), Ok(10 * (1 << 30)));
    assert_eq!(parse_byte_size("10 kib"), Ok(10_240));
    assert_eq!(parse_byte_size("1234"), Ok(1234));
    assert_eq!(parse_byte_size("5B"), Ok(5));
    assert_eq!(
        parse_byte_size("garbage"),
        Err(ByteSizeError::Invalid("garbage".to_owned()))
    );
    assert_eq!(
        parse_byte_size("10XB"),
        Err(ByteSizeError::Unit("10XB".to_owned()))
    );
    assert_eq!(
        parse_byte_size("1.5GB"),
        Err(ByteSizeError::Invalid("1.5GB".to_owned()))
    );
    assert_eq!(
        parse_byte_size("20000000TB"),
        Err(ByteSizeError::TooLarge("20000000TB".to_owned()))
    );
    assert!(Cli::try_parse_from(["plan", "--tps", "1", "--max-bytes-limit", "lots"]).is_err());
}

#[test]
fn numbers_are_grouped_and_rounded() {
    assert_eq!(count(0), "0");
    assert_eq!(count(999), "999");
    assert_eq!(count(2_592_000_000), "2,592,000,000");
    assert_eq!(num(259.2), "259.2");
    assert_eq!(num(9_969_230.769), "9,969,231");
    assert_eq!(num(0.26), "0.26");
    assert_eq!(num(0.012_345), "0.0123");
    assert_eq!(num(100.000_000_000_01), "100");
    assert_eq!(dollars(99_692.307), "$99,692.31");
    assert_eq!(dollars(0.000_003), "$0.000003");
    assert_eq!(ceil_ratio(1000.0, 100.0), 10);
    assert_eq!(ceil_ratio(50.0, 100.0), 1);
}

#[test]
fn from_run_reports_reuse_and_savings() {
    let file = TempFile::new(
        "run",
        r#"{"messages": 980, "bytes": 4014080, "elapsed_seconds": 10.0, "hits": 880,
            "misses": 100, "underlying_calls": 100,
            "limits": {"max_age_seconds": 300.0, "max_messages": 10, "max_bytes": null}}"#,
    );
    let path = file.0.display().to_string();
    let stats = read_run(&file.0).unwrap();
    let observed = observe(&stats);
    assert!(close(observed.average_reuse.unwrap(), 9.8));
    assert!(close(observed.average_bytes.unwrap(), 40_140.8));
    assert!(close(observed.calls_per_second.unwrap(), 10.0));
    assert!(close(observed.savings.unwrap(), 1.0 - 100.0 / 980.0));

    let text = report(&args(&["--from-run", &path])).unwrap();
    assert!(
        text.contains("max messages 10: average reuse 9.8 (98% of the limit)"),
        "{text}"
    );
    assert!(
        text.contains("data keys generated (underlying calls): 100"),
        "{text}"
    );
    assert!(text.contains("max bytes: none"), "{text}");
    assert!(!text.contains("traffic:"), "{text}");

    let both = report(&args(&["--from-run", &path, "--tps", "100", "--json"])).unwrap();
    let value: Value = serde_json::from_str(&both).unwrap();
    assert_eq!(value["plan"]["thresholds"]["capacity"], 1);
    assert_eq!(value["run"]["underlying_calls"], 100);
}

#[test]
fn from_run_without_optional_fields() {
    let stats = RunStats::from_json(r#"{"messages": 0, "underlying_calls": 0}"#).unwrap();
    let observed = observe(&stats);
    assert_eq!(observed.average_reuse, None);
    assert_eq!(observed.savings, None);
    assert_eq!(observed.calls_per_second, None);
    let text = observed.text(
        Path::new("run.json"),
        &RunGoals::from_args(&args(&[])).unwrap(),
    );
    assert!(text.contains("no data key generated"), "{text}");
}

#[test]
fn a_malformed_run_file_names_the_file() {
    let file = TempFile::new(
        "malformed",
        r#"{"messages": "many", "underlying_calls": 1}"#,
    );
    let error = format!("{:#}", read_run(&file.0).unwrap_err());
    assert!(error.contains(&file.0.display().to_string()), "{error}");
    assert!(
        error.contains("\"messages\" is not a whole number"),
        "{error}"
    );
    assert!(!error.contains('\n'));

    let file = TempFile::new("not-json", "messages: 5");
    let error = format!("{:#}", read_run(&file.0).unwrap_err());
    assert!(error.starts_with("malformed run statistics "), "{error}");
    assert!(error.contains(&file.0.display().to_string()), "{error}");

    let missing = RunStats::from_json(r#"{"messages": 5}"#).unwrap_err();
    assert_eq!(missing, RunStatsError::Missing("underlying_calls"));
}

#[test]
fn json_is_one_object_with_the_thresholds() {
    let text = report(&args(&["--tps", "1000", "--rate-limit", "100", "--json"])).unwrap();
    let value: Value = serde_json::from_str(&text).unwrap();
    let thresholds = &value["plan"]["thresholds"];
    assert_eq!(thresholds["max_messages"], 10);
    assert_eq!(thresholds["max_age_seconds"], 1.0);
    assert_eq!(thresholds["max_bytes"], Value::Null);
    assert_eq!(value["plan"]["goals"]["rate_limit"]["met"], true);
    assert!(!text.contains('\n'));
}
