//! Validation: JSON Schema, naming rules, references and secrets, collecting every problem;
//! only a file with no errors becomes a `model::Desired`.
