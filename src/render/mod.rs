//! Every byte a person or a program reads: diagnostics, plans, state, reports, in human, json,
//! markdown and github formats.

pub mod state;
