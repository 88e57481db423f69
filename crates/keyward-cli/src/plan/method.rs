//! The method: the least reuse that meets every goal, and what follows from it.

use super::*;

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
    pub(super) fn new(target: f64, actual: f64) -> Self {
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

pub(super) fn choose_reuse(
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

pub(super) fn bytes(chosen: u64, message_size: u64, limit: Option<u64>) -> Bytes {
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
pub(super) fn per_entry_rate(input: &Inputs, rates: &Rates) -> f64 {
    rates.peak / float(input.distinct_contexts)
}

pub(super) fn max_age(input: &Inputs, rates: &Rates, per_key: u64) -> MaxAge {
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
pub(super) fn age_bound(input: &Inputs, rates: &Rates, max_age: f64) -> Option<u64> {
    let burst_seconds = match input.load {
        Load::Bursty { seconds, .. } if rates.bursts.is_some() => seconds,
        _ => f64::INFINITY,
    };
    (max_age < burst_seconds).then(|| whole(floor(per_entry_rate(input, rates) * max_age)).max(1))
}

pub(super) fn calls(input: &Inputs, rates: &Rates, effective: u64, month_seconds: f64) -> Calls {
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
