//! A `tracing` subscriber that records what keyward's instrumentation emits, for tests that
//! check the spans and events of a run (and that no secret is among their fields).

use std::sync::{Mutex, PoisonError};

/// What a `tracing` subscriber saw: every span (name and fields) and event (level, message,
/// fields, the span it happened in), as text.
#[derive(Debug, Default)]
pub struct Captured {
    /// Every span: its name and its fields as `name=value` pairs.
    pub spans: Mutex<Vec<(String, String)>>,
    /// The events not yet taken: level, message, fields, the innermost span's name.
    pub events: Mutex<Vec<CapturedEvent>>,
    stack: Mutex<Vec<u64>>,
    /// Every span and event ever seen, as text.
    all: Mutex<String>,
}

/// An event: its level, message, fields (`name=value` pairs) and innermost span's name.
pub type CapturedEvent = (tracing::Level, String, String, Option<String>);

/// Writes a span's or event's fields as `name=value` pairs, the message apart.
#[derive(Debug, Default)]
struct Fields {
    message: String,
    pairs: String,
}

impl tracing::field::Visit for Fields {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.message = format!("{value:?}");
        } else {
            self.pairs.push_str(&format!("{}={value:?} ", field.name()));
        }
    }
}

impl tracing::Subscriber for Captured {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }

    fn new_span(&self, span: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        let mut fields = Fields::default();
        span.record(&mut fields);
        let mut spans = self.spans.lock().unwrap_or_else(PoisonError::into_inner);
        self.all
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push_str(&format!("{} {}\n", span.metadata().name(), fields.pairs));
        spans.push((span.metadata().name().to_owned(), fields.pairs));
        tracing::span::Id::from_u64(spans.len() as u64)
    }

    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}

    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}

    fn event(&self, event: &tracing::Event<'_>) {
        let mut fields = Fields::default();
        event.record(&mut fields);
        self.all
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push_str(&format!("{} {}\n", fields.message, fields.pairs));
        let span = self
            .stack
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .last()
            .and_then(|id| {
                let spans = self.spans.lock().unwrap_or_else(PoisonError::into_inner);
                spans
                    .get(usize::try_from(*id).unwrap_or(usize::MAX).wrapping_sub(1))
                    .map(|span| span.0.clone())
            });
        self.events
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push((
                *event.metadata().level(),
                fields.message,
                fields.pairs,
                span,
            ));
    }

    fn enter(&self, span: &tracing::span::Id) {
        self.stack
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(span.into_u64());
    }

    fn exit(&self, _: &tracing::span::Id) {
        self.stack
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
    }
}

impl Captured {
    /// Takes the events seen so far: their messages.
    pub fn messages(&self) -> Vec<String> {
        std::mem::take(&mut *self.events.lock().unwrap_or_else(PoisonError::into_inner))
            .into_iter()
            .map(|(_, message, _, _)| message)
            .collect()
    }

    /// Every field value and message seen, for the secret checks.
    pub fn all_text(&self) -> String {
        self.all
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}
