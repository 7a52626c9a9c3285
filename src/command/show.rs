//! `wacfg show [PLANFILE]`: a saved plan in any format, or, without one, the current state
//! (the same output as `wacfg state show`).

use std::io::IsTerminal;

use super::{CommandResult, Operator, Outcome, use_color};
use crate::cli::{DataFormat, PlanFormat, ShowArgs, StateCommand, StateShowArgs};
use crate::render::render_plan;

pub fn run(args: ShowArgs, no_color: bool, operator: &Operator) -> CommandResult {
    match &args.plan_file {
        Some(path) => {
            let plan = super::plan::load(path)?;
            let color = use_color(no_color, std::io::stdout().is_terminal());
            out!("{}", render_plan(&plan, args.format.into(), color));
            Ok(Outcome::Success)
        }
        None => {
            let format = match args.format {
                PlanFormat::Json => DataFormat::Json,
                PlanFormat::Human => DataFormat::Human,
                PlanFormat::Markdown | PlanFormat::Github => {
                    return Err(super::CommandError::new(format!(
                        "--format {} is for plans: `wacfg show` without a plan file shows the \
                         state, in human or json. Pass a saved plan (wacfg show PLANFILE \
                         --format {0}) or use --format human|json",
                        if args.format == PlanFormat::Markdown {
                            "markdown"
                        } else {
                            "github"
                        }
                    )));
                }
            };
            super::state::run(
                StateCommand::Show(StateShowArgs {
                    address: None,
                    serial: None,
                    config: args.config,
                    format,
                }),
                no_color,
                operator,
            )
        }
    }
}
