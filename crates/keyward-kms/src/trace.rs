//! `tracing` instrumentation (feature `tracing`): the macros of
//! [`keyward_materials::trace`], expanded here so that this crate's feature decides.

pub(crate) use keyward_materials::__trace_traced as traced;
