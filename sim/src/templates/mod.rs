//! Message templates as Meta keeps them: the world-file shape of a template and of the
//! review rules (`model`), Meta's synchronous checks on what a client submits (`rules`), and
//! the lifecycle over simulated time: review, edit quota, creation rate, name lock and the
//! clock a test can advance (`lifecycle`). No HTTP here: `server::templates` serves it.

pub mod lifecycle;
pub mod model;
pub mod rules;

pub use model::{Ledger, MessageTemplate, RejectRule, TemplateReview, Upload};
