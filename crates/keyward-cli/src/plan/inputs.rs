//! The traffic and the goals, from the command line.

use super::*;

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
    pub(super) fn from_args(args: &PlanArgs) -> Result<Option<Self>, InputError> {
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

    pub(super) fn validate(&self) -> Result<(), InputError> {
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
pub(super) fn load(args: &PlanArgs) -> Result<Option<Load>, InputError> {
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

pub(super) fn validate_goals(
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

pub(super) fn positive(option: &'static str, value: f64) -> Result<(), InputError> {
    if value.is_finite() && value > 0.0 {
        Ok(())
    } else {
        Err(InputError::NotPositive { option, value })
    }
}

pub(super) fn at_least_one(option: &'static str, value: Option<u64>) -> Result<(), InputError> {
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

pub(super) fn traffic_name(traffic: Traffic) -> &'static str {
    match traffic {
        Traffic::Steady => "steady",
        Traffic::Bursty => "bursty",
    }
}
