//! `wacfg state list|show|rm|pull|push|history|force-unlock|recover`: read the state settings from the
//! configuration, open the store, and print through `render::state`.

use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;
use std::time::Duration;

use super::{CommandError, CommandResult, Operator, Outcome};
use crate::cli::{
    DataFormat, PlanFormat, StateCommand, StateListArgs, StateMvArgs, StatePushArgs, StateReadArgs,
    StateRecoverArgs, StateRmArgs, StateShowArgs, StateUnlockArgs,
};
use crate::model::{Address, StateSettings};
use crate::render::state as render;
use crate::state::canonical::{self, Origin};
use crate::state::{LockGuard, StateDocument, Store, open_store_within, parse_duration};

pub fn run(cmd: StateCommand, _no_color: bool, operator: &Operator) -> CommandResult {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CommandError::new(format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(async move {
        match cmd {
            StateCommand::List(args) => list(args, operator).await,
            StateCommand::Show(args) => show(args, operator).await,
            StateCommand::Rm(args) => rm(args, operator).await,
            StateCommand::Mv(args) => mv(args, operator).await,
            StateCommand::Pull(args) => {
                pull(&super::ConfigSources::new(&args.config)?, operator).await
            }
            StateCommand::Push(args) => push(args, operator).await,
            StateCommand::History(args) => history(args, operator).await,
            StateCommand::ForceUnlock(args) => force_unlock(args, operator).await,
            StateCommand::Recover(args) => recover(args, operator).await,
        }
    })
}

async fn open(config: &super::ConfigSources, operator: &Operator) -> Result<Store, CommandError> {
    let settings = state_settings(config)?;
    Ok(open_store_within(&settings, &operator.secret_access(config)).await?)
}

fn print(text: &str) -> CommandResult {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|_| out.flush())
        .map_err(|e| CommandError::new(format!("cannot write to stdout: {e}")))?;
    Ok(Outcome::Success)
}

async fn read_existing(store: &Store) -> Result<StateDocument, CommandError> {
    store.read().await?.ok_or_else(|| {
        CommandError::new(format!(
            "there is no state yet at {}: `wacfg apply` creates it",
            store.describe()
        ))
    })
}

async fn list(args: StateListArgs, operator: &Operator) -> CommandResult {
    let store = open(&super::ConfigSources::new(&args.config)?, operator).await?;
    let doc = store.read().await?;
    if args.addresses {
        return print(&render::list_addresses(doc.as_ref()));
    }
    print(&match args.format {
        DataFormat::Human => render::list_human(doc.as_ref()),
        DataFormat::Json => render::list_json(doc.as_ref()),
    })
}

async fn show(args: StateShowArgs, operator: &Operator) -> CommandResult {
    let store = open(&super::ConfigSources::new(&args.config)?, operator).await?;
    let doc = match args.serial {
        Some(serial) => store.read_serial(serial).await?,
        None => read_existing(&store).await?,
    };
    let Some(text) = &args.address else {
        return print(&match args.format {
            DataFormat::Human => render::state_human(&doc),
            DataFormat::Json => render::state_json(&doc),
        });
    };
    let address: Address = text.parse()?;
    let resource = doc.get(&address).ok_or_else(|| not_in_state(&address))?;
    print(&match args.format {
        DataFormat::Human => render::resource_human(&address, resource),
        DataFormat::Json => render::resource_json(resource),
    })
}

fn not_in_state(address: &Address) -> CommandError {
    CommandError::new(format!(
        "{address} is not in the state: `wacfg state list` shows what is"
    ))
}

async fn lock(store: &Store, operation: &str, timeout: &str) -> Result<LockGuard, CommandError> {
    let timeout: Duration = parse_duration(timeout).map_err(CommandError::new)?;
    let guard = store.lock(operation, timeout).await?;
    if let Some(old) = &guard.replaced_stale {
        eprintln!(
            "warning: took over the lock left by a run that died: {} (pid {}) `{}` since {}",
            old.holder, old.pid, old.operation, old.started_at
        );
    }
    Ok(guard)
}

async fn rm(args: StateRmArgs, operator: &Operator) -> CommandResult {
    let address: Address = args.address.parse()?;
    let store = open(&super::ConfigSources::new(&args.config)?, operator).await?;
    if read_existing(&store).await?.get(&address).is_none() {
        return Err(not_in_state(&address));
    }
    if !args.yes {
        confirm_rm(&address)?;
    }
    let guard = lock(&store, "state rm", &args.lock.lock_timeout).await?;
    let result = remove(&store, &address).await;
    guard.release().await?;
    let written = result?;
    print(&format!(
        "Removed {address} from the state (now serial {}). Nothing was changed at Meta.\n",
        written.serial
    ))
}

/// Re-read under the lock, remove, write with compare-and-swap.
async fn remove(store: &Store, address: &Address) -> Result<StateDocument, CommandError> {
    let mut doc = read_existing(store).await?;
    let serial = doc.serial;
    doc.remove(address).ok_or_else(|| not_in_state(address))?;
    Ok(store.write(&doc, Some(serial)).await?)
}

async fn mv(args: StateMvArgs, operator: &Operator) -> CommandResult {
    let from: Address = args.from.parse()?;
    let to: Address = args.to.parse()?;
    if from.kind != to.kind {
        return Err(CommandError::new(format!(
            "cannot move {from} to {to}: a resource cannot change kind"
        )));
    }
    if from == to {
        return Err(CommandError::new(format!(
            "cannot move {from} to itself: name the new address"
        )));
    }
    if let Some((_, message, rule)) = crate::rules::check_name(&to.name) {
        return Err(CommandError::new(format!(
            "cannot move {from} to {to}: the {message} ({rule})"
        )));
    }
    let store = open(&super::ConfigSources::new(&args.config)?, operator).await?;
    let guard = lock(&store, "state mv", &args.lock.lock_timeout).await?;
    let result = rename(&store, &from, &to).await;
    guard.release().await?;
    let written = result?;
    print(&format!(
        "Moved {from} to {to} in the state (now serial {}): its history and version are kept. Nothing was changed at Meta.\nRename the entry in the configuration to `{}` too, then `wacfg plan` shows no change for it.\n",
        written.serial, to.name
    ))
}

/// Re-read under the lock, rename, write with compare-and-swap.
async fn rename(
    store: &Store,
    from: &Address,
    to: &Address,
) -> Result<StateDocument, CommandError> {
    let mut doc = read_existing(store).await?;
    let serial = doc.serial;
    if doc.get(to).is_some() {
        return Err(CommandError::new(format!(
            "cannot move {from} to {to}: {to} is already in the state; `wacfg state rm {to}` forgets it first"
        )));
    }
    let record = doc.remove(from).ok_or_else(|| not_in_state(from))?;
    doc.upsert(record.renamed(&to.name));
    Ok(store.write(&doc, Some(serial)).await?)
}

/// Ask for exactly `yes` on a terminal; without one, refuse (`--yes` is the way in scripts).
fn confirm_rm(address: &Address) -> Result<(), CommandError> {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        return Err(CommandError::new(format!(
            "refusing to remove {address} without confirmation: stdin is not a terminal; pass \
             --yes to confirm"
        )));
    }
    eprint!(
        "Remove {address} from the state? wacfg will forget it (nothing is changed at Meta).\n\
         Type yes to confirm: "
    );
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    stdin
        .lock()
        .read_line(&mut answer)
        .map_err(|e| CommandError::new(format!("cannot read the answer: {e}")))?;
    if answer.trim_end_matches(['\n', '\r']) != "yes" {
        return Err(CommandError::new(format!(
            "{address} was not removed: the answer was not `yes`"
        )));
    }
    Ok(())
}

async fn pull(config: &super::ConfigSources, operator: &Operator) -> CommandResult {
    let store = open(config, operator).await?;
    let doc = read_existing(&store).await?;
    print(&render::state_json(&doc))
}

async fn push(args: StatePushArgs, operator: &Operator) -> CommandResult {
    let file = &args.file;
    let bytes = std::fs::read(file)
        .map_err(|e| CommandError::new(format!("cannot read {}: {e}", file.display())))?;
    let origin = Origin {
        location: format!("file {}", file.display()),
        restore: "Push a state written by wacfg, e.g. saved with `wacfg state pull`.".into(),
    };
    let pushed = canonical::decode(&bytes, &origin)?;
    let store = open(&super::ConfigSources::new(&args.config)?, operator).await?;
    let guard = lock(&store, "state push", &args.lock.lock_timeout).await?;
    let result = push_locked(&store, &pushed, file, args.force).await;
    guard.release().await?;
    let written = result?;
    print(&format!(
        "Pushed {}: the state is now serial {} (lineage {}).\n",
        file.display(),
        written.serial,
        written.lineage
    ))
}

async fn push_locked(
    store: &Store,
    pushed: &StateDocument,
    file: &Path,
    force: bool,
) -> Result<StateDocument, CommandError> {
    let current = store.read().await?;
    if let (Some(current), false) = (&current, force) {
        check_push(current, pushed, file)?;
    }
    let expected = current.as_ref().map(|c| c.serial);
    Ok(store.write(pushed, expected).await?)
}

/// Same lineage, and not older than (nor a different version of) the current serial.
fn check_push(
    current: &StateDocument,
    pushed: &StateDocument,
    file: &Path,
) -> Result<(), CommandError> {
    let file = file.display();
    if pushed.lineage != current.lineage {
        return Err(CommandError::new(format!(
            "{file} has lineage {} but the state has lineage {}: it is another state; pass \
             --force to replace the state with it anyway",
            pushed.lineage, current.lineage
        )));
    }
    if pushed.serial < current.serial {
        return Err(CommandError::new(format!(
            "{file} has serial {}, older than the state's serial {}: pushing it would undo \
             later writes; pull the current state and start from it, or pass --force",
            pushed.serial, current.serial
        )));
    }
    if pushed.serial == current.serial && pushed.checksum != current.checksum {
        return Err(CommandError::new(format!(
            "{file} has the state's serial {} but different content: one of them was edited; \
             pass --force to push it anyway",
            pushed.serial
        )));
    }
    Ok(())
}

async fn history(args: StateReadArgs, operator: &Operator) -> CommandResult {
    let store = open(&super::ConfigSources::new(&args.config)?, operator).await?;
    let entries = store.history().await?;
    print(&match args.format {
        DataFormat::Human => render::history_human(&entries),
        DataFormat::Json => render::history_json(&entries),
    })
}

async fn force_unlock(args: StateUnlockArgs, operator: &Operator) -> CommandResult {
    let store = open(&super::ConfigSources::new(&args.config)?, operator).await?;
    let info = store.force_unlock(&args.lock_id).await?;
    print(&format!(
        "Released lock {} held by {} (pid {}) for `{}` since {}.\n",
        info.id, info.holder, info.pid, info.operation, info.started_at
    ))
}

async fn recover(args: StateRecoverArgs, operator: &Operator) -> CommandResult {
    let store = open(&super::ConfigSources::new(&args.config)?, operator).await?;
    let guard = lock(&store, "state recover", &args.lock.lock_timeout).await?;
    let result = store.recover(args.to_serial).await;
    guard.release().await?;
    let (written, from) = result?;
    print(&format!(
        "Recovered {}: serial {} is now a copy of serial {from} (lineage {}), and the current \
         state. Every past serial is kept. Nothing was changed at Meta: run `wacfg plan` to see \
         what differs.\n",
        store.describe(),
        written.serial,
        written.lineage
    ))
}

/// The configuration's state settings. The whole configuration must be valid: the same
/// loader as every other command, so `state` never reads a file differently from `apply`.
fn state_settings(config: &super::ConfigSources) -> Result<StateSettings, CommandError> {
    let validation = config.validate();
    if let Some(desired) = validation.desired {
        return Ok(desired.state);
    }
    let sources = crate::config::read_sources(&validation.files);
    super::pipeline::print_diagnostics(&validation.diagnostics, &sources, PlanFormat::Human, true)?;
    Err(CommandError::new(format!(
        "the configuration {} is invalid, so its state cannot be found: fix it (see `wacfg validate`)",
        config.describe()
    )))
}
