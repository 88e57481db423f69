//! The plan and its arithmetic, as text and as JSON.

use super::*;

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
pub(super) fn default_note(is_default: bool) -> &'static str {
    if is_default { " (the default)" } else { "" }
}

pub(super) fn goal_json(goal: Goal) -> Value {
    json!({ "target": goal.target, "actual": goal.actual, "met": goal.met })
}
