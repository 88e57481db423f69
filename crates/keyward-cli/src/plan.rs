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

// ----------------------------------------------------------------------------------------------
// Inputs.

/// The traffic, in messages per second.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Load {
    /// A constant rate.
    Steady {
        /// Messages per second.
        tps: f64,
    },
    /// `tps` messages per second for `seconds`, once every `period` seconds.
    Bursty {
        /// Messages per second during a burst.
        tps: f64,
        /// How long a burst lasts.
        seconds: f64,
        /// Seconds from one burst's start to the next.
        period: f64,
    },
}

/// What the plan is computed from.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Inputs {
    /// The traffic.
    pub(crate) load: Load,
    /// The master key's requests per second for this application.
    pub(crate) rate_limit: Option<f64>,
    /// Dollars per key-service call.
    pub(crate) price_per_call: Option<f64>,
    /// Dollars per month.
    pub(crate) budget: Option<f64>,
    /// Days in a month.
    pub(crate) month_days: f64,
    /// Average plaintext bytes per message.
    pub(crate) message_size: u64,
    /// The most messages one data key may encrypt.
    pub(crate) max_messages_limit: Option<u64>,
    /// The longest one data key may stay cached, in seconds.
    pub(crate) max_age_limit: f64,
    /// The most plaintext bytes one data key may encrypt.
    pub(crate) max_bytes_limit: Option<u64>,
    /// Encryption contexts in use at once: cache entries.
    pub(crate) distinct_contexts: u64,
}

impl Inputs {
    /// `load` with no goals and the command line's defaults.
    #[cfg(test)]
    pub(crate) fn new(load: Load) -> Self {
        Self {
            load,
            rate_limit: None,
            price_per_call: None,
            budget: None,
            month_days: DEFAULT_MONTH_DAYS,
            message_size: DEFAULT_MESSAGE_SIZE,
            max_messages_limit: None,
            max_age_limit: DEFAULT_MAX_AGE_LIMIT,
            max_bytes_limit: None,
            distinct_contexts: 1,
        }
    }

    /// The inputs the options give; `None` if they give no traffic.
    fn from_args(args: &PlanArgs) -> Result<Option<Self>, InputError> {
        let Some(load) = load(args)? else {
            return Ok(None);
        };
        Ok(Some(Self {
            load,
            rate_limit: args.rate_limit,
            price_per_call: args.price_per_call,
            budget: args.budget,
            month_days: args.month_days,
            message_size: args.message_size,
            max_messages_limit: args.max_messages_limit,
            max_age_limit: args.max_age_limit,
            max_bytes_limit: args.max_bytes_limit,
            distinct_contexts: args.distinct_contexts,
        }))
    }

    fn validate(&self) -> Result<(), InputError> {
        match self.load {
            Load::Steady { tps } => positive("--tps", tps)?,
            Load::Bursty {
                tps,
                seconds,
                period,
            } => {
                positive("--burst-tps", tps)?;
                positive("--burst-seconds", seconds)?;
                positive("--burst-period", period)?;
            }
        }
        validate_goals(
            self.rate_limit,
            self.price_per_call,
            self.budget,
            self.month_days,
        )?;
        positive("--max-age-limit", self.max_age_limit)?;
        at_least_one("--message-size", Some(self.message_size))?;
        at_least_one("--max-messages-limit", self.max_messages_limit)?;
        at_least_one("--max-bytes-limit", self.max_bytes_limit)?;
        at_least_one("--distinct-contexts", Some(self.distinct_contexts))
    }
}

/// The traffic the options give, refusing the other kind's options.
fn load(args: &PlanArgs) -> Result<Option<Load>, InputError> {
    let burst = [
        ("--burst-tps", args.burst_tps),
        ("--burst-seconds", args.burst_seconds),
        ("--burst-period", args.burst_period),
    ];
    match args.traffic {
        Traffic::Steady => {
            if let Some((option, _)) = burst.iter().find(|(_, value)| value.is_some()) {
                return Err(InputError::WrongTraffic {
                    option,
                    traffic: Traffic::Bursty,
                });
            }
            Ok(args.tps.map(|tps| Load::Steady { tps }))
        }
        Traffic::Bursty => {
            if args.tps.is_some() {
                return Err(InputError::WrongTraffic {
                    option: "--tps",
                    traffic: Traffic::Steady,
                });
            }
            match (args.burst_tps, args.burst_seconds, args.burst_period) {
                (None, None, None) => Ok(None),
                (Some(tps), Some(seconds), Some(period)) => Ok(Some(Load::Bursty {
                    tps,
                    seconds,
                    period,
                })),
                _ => {
                    let missing = burst.iter().find(|(_, value)| value.is_none());
                    let option = missing.map_or("--burst-tps", |(option, _)| option);
                    Err(InputError::Missing {
                        option,
                        traffic: Traffic::Bursty,
                    })
                }
            }
        }
    }
}

fn validate_goals(
    rate_limit: Option<f64>,
    price_per_call: Option<f64>,
    budget: Option<f64>,
    month_days: f64,
) -> Result<(), InputError> {
    for (option, value) in [
        ("--rate-limit", rate_limit),
        ("--price-per-call", price_per_call),
        ("--budget", budget),
    ] {
        if let Some(value) = value {
            positive(option, value)?;
        }
    }
    if budget.is_some() && price_per_call.is_none() {
        return Err(InputError::BudgetWithoutPrice);
    }
    positive("--month-days", month_days)
}

fn positive(option: &'static str, value: f64) -> Result<(), InputError> {
    if value.is_finite() && value > 0.0 {
        Ok(())
    } else {
        Err(InputError::NotPositive { option, value })
    }
}

fn at_least_one(option: &'static str, value: Option<u64>) -> Result<(), InputError> {
    match value {
        Some(0) => Err(InputError::Zero { option }),
        _ => Ok(()),
    }
}

/// Options that do not make a plan.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum InputError {
    /// Neither traffic nor --from-run.
    NoTraffic(Traffic),
    /// One of the traffic's options is missing.
    Missing {
        /// The missing option.
        option: &'static str,
        /// The traffic that needs it.
        traffic: Traffic,
    },
    /// An option of the other kind of traffic.
    WrongTraffic {
        /// The option given.
        option: &'static str,
        /// The traffic it belongs to.
        traffic: Traffic,
    },
    /// A number that must be positive and finite.
    NotPositive {
        /// The option.
        option: &'static str,
        /// Its value.
        value: f64,
    },
    /// A count or size of zero.
    Zero {
        /// The option.
        option: &'static str,
    },
    /// --budget without --price-per-call.
    BudgetWithoutPrice,
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoTraffic(Traffic::Steady) => {
                f.write_str("give the traffic (--tps, or --traffic bursty) or --from-run FILE")
            }
            Self::NoTraffic(Traffic::Bursty) => f.write_str(
                "give the traffic (--burst-tps, --burst-seconds, --burst-period) or --from-run FILE",
            ),
            Self::Missing { option, traffic } => {
                write!(f, "{option} is required for --traffic {}", traffic_name(*traffic))
            }
            Self::WrongTraffic { option, traffic } => {
                write!(f, "{option} is for --traffic {}", traffic_name(*traffic))
            }
            Self::NotPositive { option, value } => {
                write!(f, "{option} must be a positive number, not {value}")
            }
            Self::Zero { option } => write!(f, "{option} must be at least 1"),
            Self::BudgetWithoutPrice => f.write_str("--budget needs --price-per-call"),
        }
    }
}

impl std::error::Error for InputError {}

fn traffic_name(traffic: Traffic) -> &'static str {
    match traffic {
        Traffic::Steady => "steady",
        Traffic::Bursty => "bursty",
    }
}

// ----------------------------------------------------------------------------------------------
// The plan.

/// The chosen thresholds, how they were reached, and what they cost.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Plan {
    /// What the plan was computed from.
    pub(crate) input: Inputs,
    /// `month_days` in seconds.
    pub(crate) month_seconds: f64,
    /// The message rates.
    pub(crate) rates: Rates,
    /// Messages per data key the rate limit needs (with a rate limit).
    pub(crate) rate_need: Option<u64>,
    /// What the budget allows and needs (with a budget).
    pub(crate) budget_need: Option<BudgetNeed>,
    /// The messages per data key chosen.
    pub(crate) reuse: Reuse,
    /// The byte threshold and whether it bounds the reuse.
    pub(crate) bytes: Bytes,
    /// The max age threshold.
    pub(crate) max_age: MaxAge,
    /// The messages one entry serves within the max age, when fewer than the reuse.
    pub(crate) age_bound: Option<u64>,
    /// Messages per data key at the average message size: what the calls are computed with.
    pub(crate) effective: u64,
    /// What bounds `effective`.
    pub(crate) bound: Bound,
    /// The key-service calls and cost.
    pub(crate) calls: Calls,
    /// Whether the calls stay within the rate limit (with one).
    pub(crate) rate_goal: Option<Goal>,
    /// Whether the cost stays within the budget (with one).
    pub(crate) budget_goal: Option<Goal>,
}

/// The message rates of the traffic.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Rates {
    /// Messages per second, averaged over time.
    pub(crate) average: f64,
    /// Messages per second at the busiest.
    pub(crate) peak: f64,
    /// The bursts of bursty traffic that leaves gaps.
    pub(crate) bursts: Option<Bursts>,
}

/// The bursts of bursty traffic.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Bursts {
    /// Messages per burst.
    pub(crate) messages: f64,
    /// Seconds from the end of one burst to the start of the next.
    pub(crate) gap: f64,
    /// Bursts per month.
    pub(crate) per_month: f64,
}

/// The budget's side of the reuse.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct BudgetNeed {
    /// Calls per month the budget pays for.
    pub(crate) calls_allowed: f64,
    /// Calls per month with one data key per message.
    pub(crate) calls_without: f64,
    /// Messages per data key needed.
    pub(crate) messages: u64,
}

/// The messages per data key chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Reuse {
    /// For the rate limit (1 without one).
    pub(crate) rate: u64,
    /// For the budget (1 without one).
    pub(crate) budget: u64,
    /// Bursty traffic: the security limit, reused within a burst.
    pub(crate) burst: Option<u64>,
    /// The most of the above.
    pub(crate) needed: u64,
    /// `needed` within the message limit: the max messages threshold.
    pub(crate) chosen: u64,
}

impl Reuse {
    /// Whether the message limit is below what the goals need.
    pub(crate) fn capped(&self) -> bool {
        self.chosen < self.needed
    }
}

/// The byte threshold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Bytes {
    /// `chosen × message size`.
    pub(crate) at_chosen: u64,
    /// The max bytes threshold (with a byte limit).
    pub(crate) threshold: Option<u64>,
    /// Messages per data key the byte limit allows, when fewer than chosen.
    pub(crate) bound: Option<u64>,
}

/// The max age threshold and why.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct MaxAge {
    /// Seconds.
    pub(crate) seconds: f64,
    /// Why.
    pub(crate) rule: AgeRule,
}

/// Why the max age is what it is.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum AgeRule {
    /// Twice the time one entry takes to reach its messages, within the limit.
    Fill {
        /// Seconds one entry takes to reach its messages.
        fill: f64,
        /// Twice that, rounded up to whole seconds, at least 1.
        suggested: f64,
    },
    /// The limit, shorter than the gap between bursts.
    BelowGap,
    /// A second less than the gap between bursts (at least 1 s), which the limit is not below.
    GapLessOne,
}

/// What bounds the messages per data key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Bound {
    /// The max messages threshold.
    Messages,
    /// The byte limit.
    Bytes,
    /// The max age.
    Age,
}

/// The key-service calls with the plan.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Calls {
    /// Calls per second, averaged over time.
    pub(crate) average_per_second: f64,
    /// Calls per second at the busiest.
    pub(crate) peak_per_second: f64,
    /// Bursty traffic: calls per burst.
    pub(crate) per_burst: Option<f64>,
    /// Calls per month.
    pub(crate) per_month: f64,
    /// Calls per month with one data key per message.
    pub(crate) without_per_month: f64,
    /// Dollars per month (with a price).
    pub(crate) cost_per_month: Option<f64>,
    /// The share of calls saved, 0 to 1.
    pub(crate) savings: f64,
}

/// A goal's target, the plan's figure and whether it meets it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Goal {
    /// The limit: calls per second, or dollars per month.
    pub(crate) target: f64,
    /// The plan's figure.
    pub(crate) actual: f64,
    /// `actual ≤ target`.
    pub(crate) met: bool,
}

impl Goal {
    fn new(target: f64, actual: f64) -> Self {
        Self {
            target,
            actual,
            met: actual <= target * (1.0 + SLACK),
        }
    }
}

/// Computes the plan: the least reuse meeting every goal within the security limits.
pub(crate) fn plan(input: &Inputs) -> Result<Plan> {
    input.validate()?;
    let month_seconds = input.month_days * SECONDS_PER_DAY;
    let rates = Rates::of(input.load, month_seconds);
    let rate_need = input.rate_limit.map(|limit| ceil_ratio(rates.peak, limit));
    let budget_need = match (input.budget, input.price_per_call) {
        (Some(budget), Some(price)) => {
            let calls_allowed = budget / price;
            let calls_without = rates.average * month_seconds;
            Some(BudgetNeed {
                calls_allowed,
                calls_without,
                messages: ceil_ratio(calls_without, calls_allowed),
            })
        }
        _ => None,
    };
    let reuse = choose_reuse(input, &rates, rate_need, budget_need.as_ref());
    let bytes = bytes(reuse.chosen, input.message_size, input.max_bytes_limit);
    let per_key = bytes.bound.unwrap_or(reuse.chosen);
    let max_age = max_age(input, &rates, per_key);
    let age_bound = age_bound(input, &rates, max_age.seconds).filter(|&age| age < per_key);
    let (effective, bound) = match (age_bound, bytes.bound) {
        (Some(age), _) => (age, Bound::Age),
        (None, Some(bytes)) => (bytes, Bound::Bytes),
        (None, None) => (reuse.chosen, Bound::Messages),
    };
    let calls = calls(input, &rates, effective, month_seconds);
    let rate_goal = input
        .rate_limit
        .map(|limit| Goal::new(limit, calls.peak_per_second));
    let budget_goal = input
        .budget
        .zip(calls.cost_per_month)
        .map(|(budget, cost)| Goal::new(budget, cost));
    Ok(Plan {
        input: input.clone(),
        month_seconds,
        rates,
        rate_need,
        budget_need,
        reuse,
        bytes,
        max_age,
        age_bound,
        effective,
        bound,
        calls,
        rate_goal,
        budget_goal,
    })
}

impl Rates {
    fn of(load: Load, month_seconds: f64) -> Self {
        match load {
            Load::Steady { tps } => Self::steady(tps),
            // Bursts without gaps are steady traffic at the burst rate.
            Load::Bursty {
                tps,
                seconds,
                period,
            } if seconds >= period => Self::steady(tps),
            Load::Bursty {
                tps,
                seconds,
                period,
            } => Self {
                average: tps * seconds / period,
                peak: tps,
                bursts: Some(Bursts {
                    messages: tps * seconds,
                    gap: period - seconds,
                    per_month: month_seconds / period,
                }),
            },
        }
    }

    fn steady(tps: f64) -> Self {
        Self {
            average: tps,
            peak: tps,
            bursts: None,
        }
    }
}

fn choose_reuse(
    input: &Inputs,
    rates: &Rates,
    rate_need: Option<u64>,
    budget_need: Option<&BudgetNeed>,
) -> Reuse {
    let rate = rate_need.unwrap_or(1);
    let budget = budget_need.map_or(1, |need| need.messages);
    let burst = rates.bursts.and(input.max_messages_limit);
    let needed = rate.max(budget).max(burst.unwrap_or(1));
    let chosen = input
        .max_messages_limit
        .map_or(needed, |limit| needed.min(limit));
    Reuse {
        rate,
        budget,
        burst,
        needed,
        chosen,
    }
}

fn bytes(chosen: u64, message_size: u64, limit: Option<u64>) -> Bytes {
    let at_chosen = chosen.saturating_mul(message_size);
    match limit {
        Some(limit) if at_chosen > limit => Bytes {
            at_chosen,
            threshold: Some(limit),
            bound: Some((limit / message_size).max(1)),
        },
        Some(_) => Bytes {
            at_chosen,
            threshold: Some(at_chosen),
            bound: None,
        },
        None => Bytes {
            at_chosen,
            threshold: None,
            bound: None,
        },
    }
}

/// Messages per second one cache entry serves while its traffic flows.
fn per_entry_rate(input: &Inputs, rates: &Rates) -> f64 {
    rates.peak / float(input.distinct_contexts)
}

fn max_age(input: &Inputs, rates: &Rates, per_key: u64) -> MaxAge {
    let limit = input.max_age_limit;
    let Some(bursts) = rates.bursts else {
        let fill = float(per_key) / per_entry_rate(input, rates);
        let suggested = ceil(2.0 * fill).max(1.0);
        return MaxAge {
            seconds: limit.min(suggested),
            rule: AgeRule::Fill { fill, suggested },
        };
    };
    if limit < bursts.gap {
        MaxAge {
            seconds: limit,
            rule: AgeRule::BelowGap,
        }
    } else {
        MaxAge {
            seconds: floor(bursts.gap - 1.0).max(1.0),
            rule: AgeRule::GapLessOne,
        }
    }
}

/// The messages one entry serves before it ages out, when the max age ends it before its
/// traffic does (within a burst, for bursty traffic).
fn age_bound(input: &Inputs, rates: &Rates, max_age: f64) -> Option<u64> {
    let burst_seconds = match input.load {
        Load::Bursty { seconds, .. } if rates.bursts.is_some() => seconds,
        _ => f64::INFINITY,
    };
    (max_age < burst_seconds).then(|| whole(floor(per_entry_rate(input, rates) * max_age)).max(1))
}

fn calls(input: &Inputs, rates: &Rates, effective: u64, month_seconds: f64) -> Calls {
    let reuse = float(effective);
    let peak_per_second = rates.peak / reuse;
    let without_per_month = rates.average * month_seconds;
    let (average_per_second, per_burst, per_month) = match (rates.bursts, input.load) {
        (Some(bursts), Load::Bursty { period, .. }) => {
            // Each entry starts a burst with a new data key: whole keys per burst and entry.
            let contexts = float(input.distinct_contexts);
            let keys = ceil(bursts.messages / contexts / reuse);
            let per_burst = (contexts * keys).min(bursts.messages);
            (
                per_burst / period,
                Some(per_burst),
                per_burst * bursts.per_month,
            )
        }
        _ => {
            let per_second = rates.average / reuse;
            (per_second, None, per_second * month_seconds)
        }
    };
    Calls {
        average_per_second,
        peak_per_second,
        per_burst,
        per_month,
        without_per_month,
        cost_per_month: input.price_per_call.map(|price| per_month * price),
        savings: 1.0 - per_month / without_per_month,
    }
}

// ----------------------------------------------------------------------------------------------
// The plan, printed.

impl Plan {
    /// The plan, one fact per line, with the arithmetic.
    pub(crate) fn text(&self) -> String {
        let mut lines = Vec::new();
        self.traffic_lines(&mut lines);
        self.reuse_lines(&mut lines);
        self.bytes_lines(&mut lines);
        self.age_lines(&mut lines);
        lines.push(format!(
            "cache capacity: {} (one entry per distinct encryption context in use within the \
             max age)",
            count(self.input.distinct_contexts)
        ));
        self.calls_lines(&mut lines);
        self.goal_lines(&mut lines);
        self.exposure_lines(&mut lines);
        lines.join("\n")
    }

    fn traffic_lines(&self, lines: &mut Vec<String>) {
        match self.input.load {
            Load::Steady { tps } => lines.push(format!(
                "traffic: steady, {} messages/s (average = peak)",
                num(tps)
            )),
            Load::Bursty {
                tps,
                seconds,
                period,
            } => {
                lines.push(format!(
                    "traffic: bursty, {} messages/s for {} every {}",
                    num(tps),
                    secs(seconds),
                    secs(period)
                ));
                match self.rates.bursts {
                    Some(bursts) => {
                        lines.push(format!(
                            "messages per burst: {}/s × {} = {}",
                            num(tps),
                            secs(seconds),
                            num(bursts.messages)
                        ));
                        lines.push(format!(
                            "average rate: {} / {} = {} messages/s",
                            num(bursts.messages),
                            secs(period),
                            num(self.rates.average)
                        ));
                        lines.push(format!("peak rate: {} messages/s", num(tps)));
                    }
                    None => lines.push(format!(
                        "the bursts leave no gap: planned as steady traffic at {} messages/s",
                        num(tps)
                    )),
                }
            }
        }
        lines.push(format!(
            "month: a {}-day month = {}",
            num(self.input.month_days),
            secs(self.month_seconds)
        ));
        if let (Some(bursts), Load::Bursty { period, .. }) = (self.rates.bursts, self.input.load) {
            lines.push(format!(
                "bursts per month: {} / {} = {}",
                secs(self.month_seconds),
                secs(period),
                num(bursts.per_month)
            ));
        }
        lines.push(format!(
            "message size: {} bytes (average plaintext)",
            count(self.input.message_size)
        ));
    }

    fn reuse_lines(&self, lines: &mut Vec<String>) {
        let reuse = &self.reuse;
        lines.push(match self.input.rate_limit {
            None => {
                "messages per data key for the rate limit: 1 (no --rate-limit given)".to_owned()
            }
            Some(limit) if self.rates.peak <= limit => format!(
                "messages per data key for the rate limit: 1 (peak {}/s ≤ limit {}/s)",
                num(self.rates.peak),
                num(limit)
            ),
            Some(limit) => format!(
                "messages per data key for the rate limit: ceil(peak {}/s / limit {}/s) = {}",
                num(self.rates.peak),
                num(limit),
                count(reuse.rate)
            ),
        });
        match (
            &self.budget_need,
            self.input.budget,
            self.input.price_per_call,
        ) {
            (Some(need), Some(budget), Some(price)) => {
                lines.push(format!(
                    "calls the budget allows per month: {} / {} per call = {}",
                    dollars(budget),
                    dollars(price),
                    num(need.calls_allowed)
                ));
                lines.push(format!(
                    "calls per month without caching: {}/s × {} = {}",
                    num(self.rates.average),
                    secs(self.month_seconds),
                    num(need.calls_without)
                ));
                lines.push(if need.calls_without <= need.calls_allowed {
                    format!(
                        "messages per data key for the budget: 1 ({} ≤ {} calls)",
                        num(need.calls_without),
                        num(need.calls_allowed)
                    )
                } else {
                    format!(
                        "messages per data key for the budget: ceil({} / {}) = ceil({}) = {}",
                        num(need.calls_without),
                        num(need.calls_allowed),
                        num(need.calls_without / need.calls_allowed),
                        count(need.messages)
                    )
                });
            }
            _ => {
                lines.push("messages per data key for the budget: 1 (no --budget given)".to_owned())
            }
        }
        let mut terms = format!("rate {}, budget {}", count(reuse.rate), count(reuse.budget));
        let mut rule = "";
        if let Some(burst) = reuse.burst {
            terms.push_str(&format!(", security limit {}", count(burst)));
            rule = " (bursty: reuse up to the security limit within a burst)";
        }
        lines.push(format!(
            "messages per data key: max({terms}) = {}{rule}",
            count(reuse.needed)
        ));
        if reuse.capped() {
            let mut short = Vec::new();
            if reuse.rate > reuse.chosen {
                short.push(format!("the rate limit needs {}", count(reuse.rate)));
            }
            if reuse.budget > reuse.chosen {
                short.push(format!("the budget needs {}", count(reuse.budget)));
            }
            lines.push(format!(
                "NOT MET: {} messages per data key; --max-messages-limit allows {}: capped at {}",
                short.join(" and "),
                count(reuse.chosen),
                count(reuse.chosen)
            ));
        }
        lines.push(format!(
            "max messages per data key: {}",
            count(reuse.chosen)
        ));
    }

    fn bytes_lines(&self, lines: &mut Vec<String>) {
        let size = self.input.message_size;
        let product = format!(
            "{} × {} B = {} B",
            count(self.reuse.chosen),
            count(size),
            count(self.bytes.at_chosen)
        );
        match (self.input.max_bytes_limit, self.bytes.bound) {
            (None, _) => {
                lines.push("max bytes per data key: none (no byte limit given)".to_owned());
            }
            (Some(limit), None) => lines.push(format!(
                "max bytes per data key: {product} (within the limit {} B)",
                count(limit)
            )),
            (Some(limit), Some(bound)) => {
                lines.push(format!(
                    "max bytes per data key: {} B, the limit ({product} exceeds it)",
                    count(limit)
                ));
                let note = if size > limit {
                    ": one message exceeds the byte limit, each gets its own data key"
                } else {
                    " at the average message size"
                };
                lines.push(format!(
                    "messages per data key: bounded by bytes, not messages: floor({} / {}) = {}{note}",
                    count(limit),
                    count(size),
                    count(bound)
                ));
            }
        }
    }

    fn age_lines(&self, lines: &mut Vec<String>) {
        let limit = self.input.max_age_limit;
        let age = self.max_age.seconds;
        match self.max_age.rule {
            AgeRule::Fill { fill, suggested } => {
                let per_key = self.bytes.bound.unwrap_or(self.reuse.chosen);
                lines.push(format!(
                    "time for one entry to reach {} messages: {} / ({}/s / {} {}) = {}",
                    count(per_key),
                    count(per_key),
                    num(self.rates.peak),
                    count(self.input.distinct_contexts),
                    plural(self.input.distinct_contexts, "context", "contexts"),
                    secs(fill)
                ));
                let why = if suggested > limit {
                    format!(
                        "the limit; twice the time to reach the messages is {}",
                        secs(suggested)
                    )
                } else {
                    "twice the time to reach the messages, rounded up to whole seconds".to_owned()
                };
                lines.push(format!(
                    "max age: min(limit {}, max(1 s, 2 × {})) = {} ({why})",
                    secs(limit),
                    secs(fill),
                    secs(age)
                ));
            }
            AgeRule::BelowGap | AgeRule::GapLessOne => self.burst_age_lines(lines),
        }
        if let Some(bound) = self.age_bound {
            lines.push(format!(
                "messages per data key: bounded by age, not messages: floor({} messages/s per \
                 entry × {}) = {}",
                num(per_entry_rate(&self.input, &self.rates)),
                secs(age),
                count(bound)
            ));
        }
    }

    fn burst_age_lines(&self, lines: &mut Vec<String>) {
        let (
            Some(bursts),
            Load::Bursty {
                seconds, period, ..
            },
        ) = (self.rates.bursts, self.input.load)
        else {
            return;
        };
        let limit = self.input.max_age_limit;
        let age = self.max_age.seconds;
        lines.push(format!(
            "gap between bursts: {} - {} = {}",
            secs(period),
            secs(seconds),
            secs(bursts.gap)
        ));
        lines.push(match self.max_age.rule {
            AgeRule::BelowGap => format!(
                "max age: min(limit {}, gap {}) = {}: a data key never spans two bursts",
                secs(limit),
                secs(bursts.gap),
                secs(age)
            ),
            _ if age >= bursts.gap => format!(
                "max age: {} (at least 1 s): the gap of {} is too short, a data key may span two \
                 bursts",
                secs(age),
                secs(bursts.gap)
            ),
            _ => format!(
                "max age: gap {} - 1 s = {}: the limit {} is not below the gap, so one second less \
                 keeps a data key from spanning two bursts",
                secs(bursts.gap),
                secs(age),
                secs(limit)
            ),
        });
    }

    fn calls_lines(&self, lines: &mut Vec<String>) {
        let calls = &self.calls;
        let reuse = count(self.effective);
        match (calls.per_burst, self.rates.bursts, self.input.load) {
            (Some(per_burst), Some(bursts), Load::Bursty { period, .. }) => {
                let contexts = self.input.distinct_contexts;
                let keys = if contexts == 1 {
                    format!("ceil({} / {reuse})", num(bursts.messages))
                } else {
                    format!(
                        "{} contexts × ceil({} / {reuse})",
                        count(contexts),
                        num(bursts.messages / float(contexts))
                    )
                };
                lines.push(format!(
                    "calls per burst: {} → {keys} = {}",
                    num(bursts.messages),
                    num(per_burst)
                ));
                lines.push(format!(
                    "calls per second, average: {} / {} = {}",
                    num(per_burst),
                    secs(period),
                    num(calls.average_per_second)
                ));
                lines.push(format!(
                    "calls per second, peak: {} / {reuse} = {}",
                    num(self.rates.peak),
                    num(calls.peak_per_second)
                ));
                lines.push(format!(
                    "calls per month: {} × {} bursts = {}",
                    num(per_burst),
                    num(bursts.per_month),
                    num(calls.per_month)
                ));
            }
            _ => {
                lines.push(format!(
                    "calls per second: {} / {reuse} = {} (average = peak)",
                    num(self.rates.average),
                    num(calls.average_per_second)
                ));
                lines.push(format!(
                    "calls per month: {} / {reuse} = {}",
                    num(calls.without_per_month),
                    num(calls.per_month)
                ));
            }
        }
        lines.push(match (calls.cost_per_month, self.input.price_per_call) {
            (Some(cost), Some(price)) => format!(
                "cost per month: {} × {} = {} (without caching: {})",
                num(calls.per_month),
                dollars(price),
                dollars(cost),
                dollars(calls.without_per_month * price)
            ),
            _ => "cost per month: unknown (no --price-per-call given)".to_owned(),
        });
        let ratio = match calls.per_burst.zip(self.rates.bursts) {
            Some((per_burst, bursts)) => format!("{}/{}", num(per_burst), num(bursts.messages)),
            None => format!("1/{reuse}"),
        };
        lines.push(format!(
            "savings: 1 - {ratio} = {}% of key-service calls (vs one call per message)",
            num(calls.savings * 100.0)
        ));
    }

    fn goal_lines(&self, lines: &mut Vec<String>) {
        if let Some(goal) = self.rate_goal {
            let verdict = if goal.met { "met" } else { "NOT MET" };
            let relation = if goal.met { "≤" } else { ">" };
            let line = format!(
                "rate limit {}/s: peak {} calls/s {relation} {}",
                num(goal.target),
                num(goal.actual),
                num(goal.target)
            );
            lines.push(self.goal_line(verdict, line, goal.met, self.reuse.rate));
        }
        if let Some(goal) = self.budget_goal {
            let verdict = if goal.met { "met" } else { "NOT MET" };
            let relation = if goal.met { "≤" } else { ">" };
            let line = format!(
                "budget {} per month: cost {} {relation} {}",
                dollars(goal.target),
                dollars(goal.actual),
                dollars(goal.target)
            );
            lines.push(self.goal_line(verdict, line, goal.met, self.reuse.budget));
        }
    }

    /// `line` with its verdict and, for a goal not met, what stands in the way.
    fn goal_line(&self, verdict: &str, line: String, met: bool, needed: u64) -> String {
        if met {
            return format!("{line}: {verdict}");
        }
        let reason = if self.effective >= needed {
            "calls round up to whole data keys per burst and context".to_owned()
        } else {
            let by = match self.bound {
                Bound::Messages => "--max-messages-limit",
                Bound::Bytes => "the byte limit",
                Bound::Age => "the max age",
            };
            format!(
                "it needs {} messages per data key, {by} allows {}",
                count(needed),
                count(self.effective)
            )
        };
        format!("{verdict}: {line} ({reason})")
    }

    fn exposure_lines(&self, lines: &mut Vec<String>) {
        lines.push(format!(
            "exposure per data key: at most {} messages",
            count(self.reuse.chosen)
        ));
        lines.push(match self.bytes.threshold {
            Some(threshold) => format!("exposure per data key: at most {} bytes", count(threshold)),
            None => format!(
                "exposure per data key: about {} bytes ({} × {} B at the average message size; no \
                 byte limit)",
                count(self.bytes.at_chosen),
                count(self.reuse.chosen),
                count(self.input.message_size)
            ),
        });
        lines.push(format!(
            "exposure per data key: at most {}",
            secs(self.max_age.seconds)
        ));
    }

    /// The plan as one JSON object.
    pub(crate) fn json(&self) -> Value {
        let bursts = self.rates.bursts.map(|bursts| {
            json!({
                "messages": bursts.messages,
                "gap_seconds": bursts.gap,
                "per_month": bursts.per_month,
            })
        });
        let budget = self.budget_need.map(|need| {
            json!({
                "calls_allowed_per_month": need.calls_allowed,
                "calls_without_caching_per_month": need.calls_without,
            })
        });
        json!({
            "traffic": {
                "kind": match self.input.load {
                    Load::Steady { .. } => "steady",
                    Load::Bursty { .. } => "bursty",
                },
                "average_tps": self.rates.average,
                "peak_tps": self.rates.peak,
                "bursts": bursts,
            },
            "month": { "days": self.input.month_days, "seconds": self.month_seconds },
            "message_size": self.input.message_size,
            "budget": budget,
            "messages_per_data_key": {
                "rate_limit": self.reuse.rate,
                "budget": self.reuse.budget,
                "burst_security_limit": self.reuse.burst,
                "needed": self.reuse.needed,
                "chosen": self.reuse.chosen,
                "capped": self.reuse.capped(),
                "effective": self.effective,
                "bounded_by": match self.bound {
                    Bound::Messages => "messages",
                    Bound::Bytes => "bytes",
                    Bound::Age => "age",
                },
            },
            "thresholds": {
                "max_messages": self.reuse.chosen,
                "max_age_seconds": self.max_age.seconds,
                "max_bytes": self.bytes.threshold,
                "capacity": self.input.distinct_contexts,
            },
            "calls": {
                "average_per_second": self.calls.average_per_second,
                "peak_per_second": self.calls.peak_per_second,
                "per_burst": self.calls.per_burst,
                "per_month": self.calls.per_month,
                "without_caching_per_month": self.calls.without_per_month,
                "cost_per_month": self.calls.cost_per_month,
                "savings_percent": self.calls.savings * 100.0,
            },
            "goals": {
                "rate_limit": self.rate_goal.map(goal_json),
                "budget": self.budget_goal.map(goal_json),
            },
            "exposure_per_data_key": {
                "messages": self.reuse.chosen,
                "bytes": self.bytes.threshold.unwrap_or(self.bytes.at_chosen),
                "seconds": self.max_age.seconds,
            },
        })
    }
}

/// Marks a run's limit that is the cache's default: effectively no limit.
fn default_note(is_default: bool) -> &'static str {
    if is_default { " (the default)" } else { "" }
}

fn goal_json(goal: Goal) -> Value {
    json!({ "target": goal.target, "actual": goal.actual, "met": goal.met })
}

// ----------------------------------------------------------------------------------------------
// A real run's statistics.

/// The statistics of a run, as `keyward encrypt --cache-stats FILE` writes them.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct RunStats {
    /// Messages encrypted.
    pub(crate) messages: u64,
    /// Plaintext bytes encrypted.
    pub(crate) bytes: Option<u64>,
    /// How long the run took.
    pub(crate) elapsed_seconds: Option<f64>,
    /// Cache hits.
    pub(crate) hits: Option<u64>,
    /// Cache misses.
    pub(crate) misses: Option<u64>,
    /// Data keys generated: key-service calls.
    pub(crate) underlying_calls: u64,
    /// The thresholds the run used.
    pub(crate) limits: Option<RunLimits>,
}

/// The thresholds of a run.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct RunLimits {
    /// The max age, in seconds.
    pub(crate) max_age_seconds: Option<f64>,
    /// The max messages per data key.
    pub(crate) max_messages: Option<u64>,
    /// The max bytes per data key.
    pub(crate) max_bytes: Option<u64>,
}

/// A run statistics file that does not parse.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum RunStatsError {
    /// Not JSON.
    Json(String),
    /// Not a JSON object.
    NotAnObject,
    /// A required field is absent.
    Missing(&'static str),
    /// A field of the wrong type.
    WrongType {
        /// The field.
        field: &'static str,
        /// What it should be.
        expected: &'static str,
    },
}

impl fmt::Display for RunStatsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Json(error) => write!(f, "not JSON: {error}"),
            Self::NotAnObject => f.write_str("not a JSON object"),
            Self::Missing(field) => write!(f, "\"{field}\" is missing"),
            Self::WrongType { field, expected } => write!(f, "\"{field}\" is not {expected}"),
        }
    }
}

impl std::error::Error for RunStatsError {}

const WHOLE: &str = "a whole number ≥ 0";
const SECONDS: &str = "a number of seconds ≥ 0";

impl RunStats {
    /// Parses the statistics; absent or null optional fields are `None`.
    pub(crate) fn from_json(text: &str) -> Result<Self, RunStatsError> {
        let value: Value =
            serde_json::from_str(text).map_err(|error| RunStatsError::Json(error.to_string()))?;
        let object = value.as_object().ok_or(RunStatsError::NotAnObject)?;
        let limits = match object.get("limits") {
            None | Some(Value::Null) => None,
            Some(Value::Object(limits)) => Some(RunLimits {
                max_age_seconds: seconds_field(
                    limits,
                    "limits.max_age_seconds",
                    "max_age_seconds",
                )?,
                max_messages: count_field(limits, "limits.max_messages", "max_messages")?,
                max_bytes: count_field(limits, "limits.max_bytes", "max_bytes")?,
            }),
            Some(_) => {
                return Err(RunStatsError::WrongType {
                    field: "limits",
                    expected: "an object",
                });
            }
        };
        Ok(Self {
            messages: count_field(object, "messages", "messages")?
                .ok_or(RunStatsError::Missing("messages"))?,
            bytes: count_field(object, "bytes", "bytes")?,
            elapsed_seconds: seconds_field(object, "elapsed_seconds", "elapsed_seconds")?,
            hits: count_field(object, "hits", "hits")?,
            misses: count_field(object, "misses", "misses")?,
            underlying_calls: count_field(object, "underlying_calls", "underlying_calls")?
                .ok_or(RunStatsError::Missing("underlying_calls"))?,
            limits,
        })
    }
}

fn count_field(
    object: &Map<String, Value>,
    field: &'static str,
    key: &str,
) -> Result<Option<u64>, RunStatsError> {
    match object.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(value) => value.as_u64().map(Some).ok_or(RunStatsError::WrongType {
            field,
            expected: WHOLE,
        }),
    }
}

fn seconds_field(
    object: &Map<String, Value>,
    field: &'static str,
    key: &str,
) -> Result<Option<f64>, RunStatsError> {
    match object.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(value) => value
            .as_f64()
            .filter(|seconds| seconds.is_finite() && *seconds >= 0.0)
            .map(Some)
            .ok_or(RunStatsError::WrongType {
                field,
                expected: SECONDS,
            }),
    }
}

/// Reads a run statistics file; errors name the file.
pub(crate) fn read_run(path: &Path) -> Result<RunStats> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the run statistics {}", path.display()))?;
    RunStats::from_json(&text)
        .with_context(|| format!("malformed run statistics {}", path.display()))
}

/// What a run's thresholds did.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Observed {
    /// The statistics.
    pub(crate) stats: RunStats,
    /// Messages per data key, on average (with a data key generated).
    pub(crate) average_reuse: Option<f64>,
    /// Plaintext bytes per data key, on average.
    pub(crate) average_bytes: Option<f64>,
    /// Key-service calls per second over the run.
    pub(crate) calls_per_second: Option<f64>,
    /// Messages per second over the run.
    pub(crate) messages_per_second: Option<f64>,
    /// The share of calls saved against one per message, 0 to 1 (with messages).
    pub(crate) savings: Option<f64>,
}

/// The averages of a run.
pub(crate) fn observe(stats: &RunStats) -> Observed {
    let calls = float(stats.underlying_calls);
    let per_call = |amount: u64| (stats.underlying_calls > 0).then(|| float(amount) / calls);
    let per_second = |amount: u64| {
        stats
            .elapsed_seconds
            .filter(|&elapsed| elapsed > 0.0)
            .map(|elapsed| float(amount) / elapsed)
    };
    Observed {
        stats: stats.clone(),
        average_reuse: per_call(stats.messages),
        average_bytes: stats.bytes.and_then(per_call),
        calls_per_second: per_second(stats.underlying_calls),
        messages_per_second: per_second(stats.messages),
        savings: (stats.messages > 0).then(|| 1.0 - calls / float(stats.messages)),
    }
}

/// The goals a run is compared with: the plan's options, without the traffic.
#[derive(Clone, Copy, Debug, PartialEq)]
struct RunGoals {
    rate_limit: Option<f64>,
    price_per_call: Option<f64>,
    budget: Option<f64>,
    month_seconds: f64,
    month_days: f64,
}

impl RunGoals {
    fn from_args(args: &PlanArgs) -> Result<Self, InputError> {
        validate_goals(
            args.rate_limit,
            args.price_per_call,
            args.budget,
            args.month_days,
        )?;
        Ok(Self {
            rate_limit: args.rate_limit,
            price_per_call: args.price_per_call,
            budget: args.budget,
            month_seconds: args.month_days * SECONDS_PER_DAY,
            month_days: args.month_days,
        })
    }
}

impl Observed {
    /// What the run's thresholds did, one fact per line.
    fn text(&self, path: &Path, goals: &RunGoals) -> String {
        let stats = &self.stats;
        let mut lines = vec![
            format!("run: {}", path.display()),
            format!("messages: {}", count(stats.messages)),
            format!(
                "data keys generated (underlying calls): {}",
                count(stats.underlying_calls)
            ),
        ];
        if let Some(hits) = stats.hits {
            lines.push(format!("cache hits: {}", count(hits)));
        }
        if let Some(misses) = stats.misses {
            lines.push(format!("cache misses: {}", count(misses)));
        }
        lines.push(match self.average_reuse {
            Some(reuse) => format!(
                "average messages per data key: {} / {} = {}",
                count(stats.messages),
                count(stats.underlying_calls),
                num(reuse)
            ),
            None => "average messages per data key: none (no data key generated)".to_owned(),
        });
        if let (Some(bytes), Some(average)) = (stats.bytes, self.average_bytes) {
            lines.push(format!(
                "average bytes per data key: {} / {} = {}",
                count(bytes),
                count(stats.underlying_calls),
                num(average)
            ));
        }
        self.rate_lines(&mut lines, goals);
        if let Some(savings) = self.savings {
            lines.push(format!(
                "savings vs one call per message: 1 - {}/{} = {}% ({} calls saved)",
                count(stats.underlying_calls),
                count(stats.messages),
                num(savings * 100.0),
                count(stats.messages.saturating_sub(stats.underlying_calls))
            ));
        }
        self.limit_lines(&mut lines);
        lines.join("\n")
    }

    fn rate_lines(&self, lines: &mut Vec<String>, goals: &RunGoals) {
        let (Some(rate), Some(elapsed)) = (self.calls_per_second, self.stats.elapsed_seconds)
        else {
            lines.push("observed call rate: unknown (no elapsed_seconds)".to_owned());
            return;
        };
        lines.push(format!(
            "observed call rate: {} calls / {} = {} calls/s",
            count(self.stats.underlying_calls),
            secs(elapsed),
            num(rate)
        ));
        if let Some(messages) = self.messages_per_second {
            lines.push(format!(
                "observed message rate: {} messages/s",
                num(messages)
            ));
        }
        if let Some(limit) = goals.rate_limit {
            let goal = Goal::new(limit, rate);
            let verdict = if goal.met { "met" } else { "NOT MET" };
            lines.push(format!(
                "rate limit {}/s: average {} calls/s over the run: {verdict}",
                num(limit),
                num(rate)
            ));
        }
        if let Some(price) = goals.price_per_call {
            let cost = rate * goals.month_seconds * price;
            lines.push(format!(
                "cost per month at this rate: {} calls/s × {} (a {}-day month) × {} = {}",
                num(rate),
                secs(goals.month_seconds),
                num(goals.month_days),
                dollars(price),
                dollars(cost)
            ));
            if let Some(budget) = goals.budget {
                let verdict = if Goal::new(budget, cost).met {
                    "met"
                } else {
                    "NOT MET"
                };
                lines.push(format!("budget {} per month: {verdict}", dollars(budget)));
            }
        }
    }

    fn limit_lines(&self, lines: &mut Vec<String>) {
        let Some(limits) = self.stats.limits else {
            return;
        };
        lines.push(match (limits.max_messages, self.average_reuse) {
            (Some(limit), Some(reuse)) => format!(
                "max messages {}{}: average reuse {} ({}% of the limit)",
                count(limit),
                default_note(limit == DEFAULT_MAX_MESSAGES),
                num(reuse),
                num(reuse / float(limit) * 100.0)
            ),
            (Some(limit), None) => format!("max messages {}: no data key generated", count(limit)),
            (None, _) => "max messages: none".to_owned(),
        });
        lines.push(match (limits.max_bytes, self.average_bytes) {
            (Some(limit), Some(average)) => format!(
                "max bytes {}{}: average {} bytes per data key ({}% of the limit)",
                count(limit),
                default_note(limit == DEFAULT_MAX_BYTES),
                num(average),
                num(average / float(limit) * 100.0)
            ),
            (Some(limit), None) => format!("max bytes {}: no byte count in the run", count(limit)),
            (None, _) => "max bytes: none".to_owned(),
        });
        if let Some(max_age) = limits.max_age_seconds {
            lines.push(match self.stats.elapsed_seconds {
                Some(elapsed) if elapsed < max_age => format!(
                    "max age {}: the run lasted {}, shorter: no data key expired by age",
                    secs(max_age),
                    secs(elapsed)
                ),
                Some(elapsed) => format!(
                    "max age {}: the run lasted {}: data keys may have expired by age",
                    secs(max_age),
                    secs(elapsed)
                ),
                None => format!("max age {}", secs(max_age)),
            });
        }
    }

    /// The run's report as one JSON object.
    fn json(&self, path: &Path, goals: &RunGoals) -> Value {
        let stats = &self.stats;
        let percent = |value: Option<f64>, limit: Option<u64>| {
            value
                .zip(limit)
                .map(|(value, limit)| value / float(limit) * 100.0)
        };
        let limits = stats.limits.map(|limits| {
            json!({
                "max_age_seconds": limits.max_age_seconds,
                "max_messages": limits.max_messages,
                "max_bytes": limits.max_bytes,
                "messages_percent_of_limit": percent(self.average_reuse, limits.max_messages),
                "bytes_percent_of_limit": percent(self.average_bytes, limits.max_bytes),
            })
        });
        let cost = self
            .calls_per_second
            .zip(goals.price_per_call)
            .map(|(rate, price)| rate * goals.month_seconds * price);
        json!({
            "file": path.display().to_string(),
            "messages": stats.messages,
            "bytes": stats.bytes,
            "elapsed_seconds": stats.elapsed_seconds,
            "hits": stats.hits,
            "misses": stats.misses,
            "underlying_calls": stats.underlying_calls,
            "average_messages_per_data_key": self.average_reuse,
            "average_bytes_per_data_key": self.average_bytes,
            "calls_per_second": self.calls_per_second,
            "messages_per_second": self.messages_per_second,
            "savings_percent": self.savings.map(|savings| savings * 100.0),
            "cost_per_month": cost,
            "limits": limits,
        })
    }
}

// ----------------------------------------------------------------------------------------------
// Byte sizes.

/// A byte size that does not parse.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum ByteSizeError {
    /// Not a whole number with an optional unit.
    Invalid(String),
    /// A unit other than B, KB, MB, GB, TB, KiB, MiB, GiB, TiB.
    Unit(String),
    /// More than `u64::MAX` bytes.
    TooLarge(String),
}

impl fmt::Display for ByteSizeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Invalid(text) => write!(
                f,
                "invalid byte size {text:?}: expected a whole number with an optional unit \
                 (KB, MB, GB, TB, KiB, MiB, GiB, TiB)"
            ),
            Self::Unit(text) => write!(
                f,
                "unknown unit in byte size {text:?}: use KB, MB, GB, TB (powers of 1000) or \
                 KiB, MiB, GiB, TiB (powers of 1024)"
            ),
            Self::TooLarge(text) => write!(f, "byte size {text:?} is too large"),
        }
    }
}

impl std::error::Error for ByteSizeError {}

/// The units of a byte size, case-insensitive.
const UNITS: [(&str, u64); 10] = [
    ("", 1),
    ("b", 1),
    ("kb", 1_000),
    ("mb", 1_000_000),
    ("gb", 1_000_000_000),
    ("tb", 1_000_000_000_000),
    ("kib", 1 << 10),
    ("mib", 1 << 20),
    ("gib", 1 << 30),
    ("tib", 1 << 40),
];

/// Parses `1234`, `10GB` (10^10 bytes), `10 GiB` (10 × 2^30 bytes).
pub(crate) fn parse_byte_size(text: &str) -> Result<u64, ByteSizeError> {
    let trimmed = text.trim();
    let end = trimmed
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(trimmed.len());
    let (digits, unit) = trimmed.split_at(end);
    if digits.is_empty() {
        return Err(ByteSizeError::Invalid(text.to_owned()));
    }
    // Nothing but ASCII digits: parsing fails only past u64::MAX.
    let number: u64 = digits
        .parse()
        .map_err(|_| ByteSizeError::TooLarge(text.to_owned()))?;
    let unit = unit.trim();
    let multiplier = UNITS
        .iter()
        .find(|(name, _)| unit.eq_ignore_ascii_case(name))
        .map(|&(_, multiplier)| multiplier)
        .ok_or_else(|| {
            if unit.starts_with(|c: char| c.is_ascii_alphabetic()) {
                ByteSizeError::Unit(text.to_owned())
            } else {
                ByteSizeError::Invalid(text.to_owned())
            }
        })?;
    number
        .checked_mul(multiplier)
        .ok_or_else(|| ByteSizeError::TooLarge(text.to_owned()))
}

// ----------------------------------------------------------------------------------------------
// Numbers.

/// `n` as a float: exact below 2^53, the nearest float above.
#[expect(
    clippy::cast_precision_loss,
    reason = "counts and sizes are exact below 2^53; above, the nearest float is what the \
              arithmetic needs"
)]
fn float(n: u64) -> f64 {
    n as f64
}

/// A whole, non-negative float as a count; saturating (past `u64::MAX`), NaN is 0.
#[expect(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "a saturating conversion of a whole, non-negative float"
)]
fn whole(x: f64) -> u64 {
    x as u64
}

/// The nearest whole number when `x` is within float error of it.
fn nearly_whole(x: f64) -> Option<f64> {
    let nearest = x.round();
    ((x - nearest).abs() <= SLACK * nearest.abs().max(1.0)).then_some(nearest)
}

/// `x` rounded up, forgiving float error: `ceil(2 × 100.00000000000001)` is 200.
fn ceil(x: f64) -> f64 {
    nearly_whole(x).unwrap_or_else(|| x.ceil())
}

/// `x` rounded down, forgiving float error: `floor(2.9999999999999996)` is 3.
fn floor(x: f64) -> f64 {
    nearly_whole(x).unwrap_or_else(|| x.floor())
}

/// `ceil(numerator / denominator)`, at least 1.
fn ceil_ratio(numerator: f64, denominator: f64) -> u64 {
    whole(ceil(numerator / denominator)).max(1)
}

/// `1234567` as `1,234,567`.
fn count(n: u64) -> String {
    group(&n.to_string())
}

/// Thousands separators in the whole part of a formatted non-negative decimal.
fn group(decimal: &str) -> String {
    let (whole_part, fraction) = decimal.split_at(decimal.find('.').unwrap_or(decimal.len()));
    let mut out = String::with_capacity(decimal.len() + whole_part.len() / 3);
    for (i, digit) in whole_part.chars().enumerate() {
        if i > 0 && (whole_part.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(digit);
    }
    out.push_str(fraction);
    out
}

/// A figure, rounded sensibly: whole numbers as such, at least 1 to two decimals (whole from
/// 1,000), below 1 to three significant digits.
fn num(x: f64) -> String {
    if !x.is_finite() {
        return x.to_string();
    }
    if x.abs() >= 1e18 {
        return format!("{x:.3e}");
    }
    let sign = if x < 0.0 { "-" } else { "" };
    let magnitude = x.abs();
    let text = if let Some(nearest) = nearly_whole(magnitude) {
        format!("{nearest:.0}")
    } else if magnitude >= 1000.0 {
        format!("{magnitude:.0}")
    } else if magnitude >= 1.0 {
        trim_zeros(format!("{magnitude:.2}"))
    } else {
        // Three significant digits: 0.0123, 0.26.
        let decimals = whole(2.0 - magnitude.log10().floor()).min(20);
        let decimals = usize::try_from(decimals).unwrap_or(20);
        trim_zeros(format!("{magnitude:.decimals$}"))
    };
    format!("{sign}{}", group(&text))
}

fn trim_zeros(text: String) -> String {
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        text
    }
}

/// Dollars: cents, or three significant digits below a cent.
fn dollars(x: f64) -> String {
    if (0.01..1e18).contains(&x) {
        format!("${}", group(&format!("{x:.2}")))
    } else {
        format!("${}", num(x))
    }
}

/// Seconds: `20 s`, `2,592,000 s`.
fn secs(x: f64) -> String {
    format!("{} s", num(x))
}

fn plural<'a>(n: u64, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 { one } else { many }
}

#[cfg(test)]
mod tests {
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
        fn new(name: &str, contents: &str) -> Self {
            let path = std::env::temp_dir()
                .join(format!("keyward-plan-{}-{name}.json", std::process::id()));
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
}
