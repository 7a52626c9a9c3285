//! Colour for plan, drift and apply output, switched on or off in one place. The command
//! decides (TTY, `NO_COLOR`, `--no-color`); with colour off every method returns the text as
//! is, so plain output never carries an escape code.

use owo_colors::OwoColorize;

use crate::plan::Action;

/// Paints text when colour is on; passes it through otherwise.
#[derive(Debug, Clone, Copy)]
pub struct Painter {
    pub color: bool,
}

impl Painter {
    pub fn new(color: bool) -> Self {
        Self { color }
    }

    pub fn green(&self, text: &str) -> String {
        self.apply(text, |t| t.green().to_string())
    }

    pub fn red(&self, text: &str) -> String {
        self.apply(text, |t| t.red().to_string())
    }

    pub fn yellow(&self, text: &str) -> String {
        self.apply(text, |t| t.yellow().to_string())
    }

    pub fn cyan(&self, text: &str) -> String {
        self.apply(text, |t| t.cyan().to_string())
    }

    pub fn bold(&self, text: &str) -> String {
        self.apply(text, |t| t.bold().to_string())
    }

    pub fn dim(&self, text: &str) -> String {
        self.apply(text, |t| t.dimmed().to_string())
    }

    /// The colour Terraform readers expect for an action's symbol.
    pub fn action(&self, action: Action, text: &str) -> String {
        match action {
            Action::Create | Action::Import => self.green(text),
            Action::Move | Action::Refresh => self.cyan(text),
            Action::Update | Action::Reactivate | Action::Deactivate => self.yellow(text),
            Action::Delete | Action::Replace => self.red(text),
            Action::NoOp => text.to_string(),
        }
    }

    fn apply(&self, text: &str, paint: impl Fn(&str) -> String) -> String {
        if self.color && !text.is_empty() {
            paint(text)
        } else {
            text.to_string()
        }
    }
}
