//! A real run's statistics, and what its thresholds did.

use super::*;

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

pub(super) const WHOLE: &str = "a whole number ≥ 0";
pub(super) const SECONDS: &str = "a number of seconds ≥ 0";

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

pub(super) fn count_field(
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

pub(super) fn seconds_field(
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
pub(super) struct RunGoals {
    rate_limit: Option<f64>,
    price_per_call: Option<f64>,
    budget: Option<f64>,
    month_seconds: f64,
    month_days: f64,
}

impl RunGoals {
    pub(super) fn from_args(args: &PlanArgs) -> Result<Self, InputError> {
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
    pub(super) fn text(&self, path: &Path, goals: &RunGoals) -> String {
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
    pub(super) fn json(&self, path: &Path, goals: &RunGoals) -> Value {
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
