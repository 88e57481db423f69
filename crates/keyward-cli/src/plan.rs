//! `keyward caching plan`: data-key cache thresholds from the traffic and the goals, with the
//! arithmetic shown.
//!
//! The method looks for the least reuse of a data key (messages per data key) that meets every
//! goal. The master key's rate limit needs `ceil(peak rate / limit)`. The monthly budget needs
//! `ceil(calls without caching / calls the budget pays for)`. Bursty traffic also reuses up to
//! the security limit within a burst. The security limits cap the reuse: the message limit
//! directly, and the byte limit at `floor(limit / message size)`. The max age lets a steady
//! entry reach its message count twice over, and keeps a bursty key from spanning two bursts.
//! From the reuse follow the calls per second and per month, the cost, the savings and the
//! exposure of one data key. `--from-run` reads the statistics of a real run and reports what
//! the thresholds actually did.

use std::fmt;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};
use clap::{Args, ValueEnum};
use keyward::cache::{DEFAULT_MAX_BYTES, DEFAULT_MAX_MESSAGES};
use serde_json::{Map, Value, json};

mod inputs;
mod method;
mod print;
mod run_stats;
#[cfg(test)]
mod tests;
mod units;

use self::inputs::*;
use self::method::*;
use self::print::*;
use self::run_stats::*;
use self::units::*;

const SECONDS_PER_DAY: f64 = 86_400.0;
const DEFAULT_MONTH_DAYS: f64 = 30.0;
const DEFAULT_MESSAGE_SIZE: u64 = 4096;
const DEFAULT_MAX_AGE_LIMIT: f64 = 300.0;
/// Relative slack for float error in the last bits: `1,000 / 10` meets a limit of 100 and
/// `ceil(10.000000000001)` is 10.
const SLACK: f64 = 1e-9;

/// How the messages arrive.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum Traffic {
    /// At a constant rate: --tps.
    Steady,
    /// In bursts: --burst-tps for --burst-seconds, once every --burst-period.
    Bursty,
}

/// `keyward caching plan`: choose the data-key cache thresholds.
#[derive(Debug, Args)]
pub(crate) struct PlanArgs {
    /// How the messages arrive.
    #[arg(long, value_enum, default_value_t = Traffic::Steady)]
    pub(crate) traffic: Traffic,
    /// Steady traffic: messages encrypted per second.
    #[arg(long, value_name = "N")]
    pub(crate) tps: Option<f64>,
    /// Bursty traffic: messages encrypted per second during a burst.
    #[arg(long, value_name = "N")]
    pub(crate) burst_tps: Option<f64>,
    /// Bursty traffic: how long one burst lasts, in seconds.
    #[arg(long, value_name = "S")]
    pub(crate) burst_seconds: Option<f64>,
    /// Bursty traffic: one burst starts every this many seconds.
    #[arg(long, value_name = "S")]
    pub(crate) burst_period: Option<f64>,
    /// The requests per second the master key allows this application.
    #[arg(long, value_name = "N")]
    pub(crate) rate_limit: Option<f64>,
    /// The price of one key-service call, in dollars.
    #[arg(long, value_name = "DOLLARS")]
    pub(crate) price_per_call: Option<f64>,
    /// The monthly budget for key-service calls, in dollars (needs --price-per-call).
    #[arg(long, value_name = "DOLLARS", requires = "price_per_call")]
    pub(crate) budget: Option<f64>,
    /// The days in a month, for the calls and cost per month.
    #[arg(long, value_name = "D", default_value_t = DEFAULT_MONTH_DAYS)]
    pub(crate) month_days: f64,
    /// The average plaintext bytes per message: a number, or with KB, MB, GB, TB (powers of
    /// 1000) or KiB, MiB, GiB, TiB (powers of 1024).
    #[arg(long, value_name = "BYTES", default_value_t = DEFAULT_MESSAGE_SIZE, value_parser = parse_byte_size)]
    pub(crate) message_size: u64,
    /// Security limit: the most messages one data key may encrypt.
    #[arg(long, value_name = "N")]
    pub(crate) max_messages_limit: Option<u64>,
    /// Security limit: the longest one data key may stay cached, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = DEFAULT_MAX_AGE_LIMIT)]
    pub(crate) max_age_limit: f64,
    /// Security limit: the most plaintext bytes one data key may encrypt: a number, or with
    /// KB, MB, GB, TB (powers of 1000) or KiB, MiB, GiB, TiB (powers of 1024).
    #[arg(long, value_name = "BYTES", value_parser = parse_byte_size)]
    pub(crate) max_bytes_limit: Option<u64>,
    /// How many different encryption contexts are in use at once (one cache entry each).
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub(crate) distinct_contexts: u64,
    /// Report what the thresholds did in a real run: the statistics file written by
    /// `keyward encrypt --cache-stats FILE`. The traffic options are then optional.
    #[arg(long, value_name = "FILE")]
    pub(crate) from_run: Option<PathBuf>,
    /// Print one JSON object for scripts: {"plan": ..., "run": ...}.
    #[arg(long)]
    pub(crate) json: bool,
}

/// Prints the plan, the run's report, or both, to standard output.
pub(crate) fn run(args: &PlanArgs) -> Result<()> {
    let report = report(args)?;
    println!("{report}");
    Ok(())
}

/// The text (or JSON) that [`run`] prints.
fn report(args: &PlanArgs) -> Result<String> {
    let inputs = Inputs::from_args(args)?;
    let goals = RunGoals::from_args(args)?;
    let planned = match (&inputs, &args.from_run) {
        (Some(inputs), _) => Some(plan(inputs)?),
        (None, Some(_)) => None,
        (None, None) => return Err(InputError::NoTraffic(args.traffic).into()),
    };
    let observed = match &args.from_run {
        Some(path) => Some((path.as_path(), observe(&read_run(path)?))),
        None => None,
    };
    if args.json {
        let mut object = Map::new();
        if let Some(planned) = &planned {
            object.insert("plan".to_owned(), planned.json());
        }
        if let Some((path, observed)) = &observed {
            object.insert("run".to_owned(), observed.json(path, &goals));
        }
        return Ok(Value::Object(object).to_string());
    }
    let mut sections = Vec::new();
    if let Some(planned) = &planned {
        sections.push(planned.text());
    }
    if let Some((path, observed)) = &observed {
        sections.push(observed.text(path, &goals));
    }
    Ok(sections.join("\n\n"))
}
