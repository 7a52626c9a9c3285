//! The steps plan, apply and drift share, each done once: load and validate the
//! configuration, resolve the tokens, open the state, read Meta, plan. Printing of config
//! diagnostics happens here because all three commands print them the same way.

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::sync::Arc;

use super::progress::Console;
use super::{CommandError, ConfigSources, Operator, use_color};
use crate::cli::PlanFormat;
use crate::config::read_sources;
use crate::diag::Diagnostic;
use crate::kinds::{Desired, KINDS, RecordedResource};
use crate::model::{Address, Observed, SecretAccess, StateSettings, TokenFingerprint};
use crate::plan::{GraphEndpoint, Plan, PlanInput, PlanOptions, PriorState, plan};
use crate::remote::{Client, ClientConfig, Token, TokenReads, is_meta_graph_url};
use crate::render::diagnostics;
use crate::state::local::LocalStore;
use crate::state::{StateDocument, StateError, Store, open_store_within};

/// A valid configuration with its tokens read.
pub struct Prepared {
    pub desired: Desired,
    /// Warnings from validation, carried into the plan's diagnostics.
    pub warnings: Vec<Diagnostic>,
    /// Each access token, by secret key (a credentials entry's name).
    pub tokens: BTreeMap<String, Token>,
    /// Other secrets sent to Meta (a webhook's verify token), by secret key.
    pub secrets: BTreeMap<String, Token>,
    /// Fingerprint of every token and secret above, by secret key.
    pub fingerprints: BTreeMap<String, TokenFingerprint>,
    /// The Graph endpoint the operator allows (checked before any secret was read).
    pub client_config: ClientConfig,
    /// Where `file:` secrets may be read from (the state's URL too).
    pub access: SecretAccess,
}

/// A tokio runtime for one command.
pub fn runtime() -> Result<tokio::runtime::Runtime, CommandError> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| CommandError::new(format!("cannot start the async runtime: {e}")))
}

/// Validate the configuration; on errors print them (in `format`) and return `None`.
pub fn load_valid(
    config: &ConfigSources,
    format: PlanFormat,
    no_color: bool,
) -> Result<Option<(Desired, Vec<Diagnostic>)>, CommandError> {
    let validation = config.validate();
    if let Some(desired) = validation.desired {
        return Ok(Some((desired, validation.diagnostics)));
    }
    print_diagnostics(
        &validation.diagnostics,
        &read_sources(&validation.files),
        format,
        no_color,
    )?;
    Ok(None)
}

/// Config diagnostics in the command's format: machine formats to stdout, human to stderr.
pub fn print_diagnostics(
    diags: &[Diagnostic],
    sources: &diagnostics::Sources,
    format: PlanFormat,
    no_color: bool,
) -> Result<(), CommandError> {
    match format {
        PlanFormat::Json => out!("{}", diagnostics::json(diags)),
        PlanFormat::Github => out!("{}", diagnostics::github(diags)),
        PlanFormat::Human | PlanFormat::Markdown => {
            let color = use_color(no_color, std::io::stderr().is_terminal());
            let mut err = std::io::stderr().lock();
            write!(err, "{}", diagnostics::human(diags, sources, color))?;
            writeln!(
                err,
                "error: the configuration is invalid ({})",
                diagnostics::counts(diags)
            )?;
        }
    }
    Ok(())
}

/// Decide where tokens may go, then read every secret the registered kinds' entries
/// reference: access tokens and values sent to Meta (plan time, never validate time). The
/// Graph endpoint is checked first: a configuration naming an endpoint the operator did not
/// allow reads no secret at all. `file:` secrets are read only inside the configuration's
/// directory tree (`config`) and the operator's `--secret-dir`/`WACFG_SECRET_DIRS`.
pub fn resolve_tokens(
    desired: Desired,
    warnings: Vec<Diagnostic>,
    config: &ConfigSources,
    operator: &Operator,
    parallelism: u16,
) -> Result<Prepared, CommandError> {
    let client_config =
        ClientConfig::from_meta(&desired.meta, operator.graph_url.as_deref(), parallelism)?;
    let access = operator.secret_access(config);
    let mut tokens = BTreeMap::new();
    let mut secrets = BTreeMap::new();
    let mut fingerprints = BTreeMap::new();
    let mut problems = Vec::new();
    for kind in crate::kinds::KINDS {
        for need in kind.secrets(&desired) {
            match need.reference.resolve(&access) {
                Ok(value) => {
                    let value = Token::new(value);
                    fingerprints.insert(need.key.clone(), value.fingerprint());
                    if need.is_access_token {
                        tokens.insert(need.key, value);
                    } else {
                        secrets.insert(need.key, value);
                    }
                }
                Err(e) => problems.push(format!("{}: {e}", need.owner)),
            }
        }
    }
    if !problems.is_empty() {
        return Err(CommandError::new(format!(
            "cannot read the tokens the configuration names:\n  {}",
            problems.join("\n  ")
        )));
    }
    Ok(Prepared {
        desired,
        warnings,
        tokens,
        secrets,
        fingerprints,
        client_config,
        access,
    })
}

/// What a command reads of the operator's files besides the configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reads {
    /// The secrets the configuration names.
    Secrets,
    /// The secrets and each template header file (its digest): what a plan compares.
    SecretsAndMedia,
}

/// Validate the configuration (its diagnostics printed in `format` when it is invalid:
/// `None`) and read what it names (`reads`) for a command reading Meta.
pub fn prepare(
    sources: &ConfigSources,
    format: PlanFormat,
    no_color: bool,
    operator: &Operator,
    parallelism: u16,
    reads: Reads,
) -> Result<Option<Prepared>, CommandError> {
    let Some((desired, warnings)) = load_valid(sources, format, no_color)? else {
        return Ok(None);
    };
    let mut prepared = resolve_tokens(desired, warnings, sources, operator, parallelism)?;
    if reads == Reads::SecretsAndMedia {
        super::media::digest_header_files(&mut prepared.desired, &prepared.access)?;
    }
    Ok(Some(prepared))
}

/// The state's resources keyed by address, and its lineage/serial. Takes the document by
/// value: a state of 10,000 resources is worth not copying.
pub fn recorded_of(
    doc: Option<StateDocument>,
) -> (Option<PriorState>, BTreeMap<Address, RecordedResource>) {
    let Some(doc) = doc else {
        return (None, BTreeMap::new());
    };
    let prior = PriorState {
        lineage: doc.lineage.to_string(),
        serial: doc.serial,
    };
    let resources = doc
        .resources
        .into_values()
        .map(|r| (r.address(), r))
        .collect();
    (Some(prior), resources)
}

pub async fn open(prepared: &Prepared) -> Result<Store, CommandError> {
    Ok(open_store_within(&prepared.desired.state, &prepared.access).await?)
}

/// A client for the endpoint [`resolve_tokens`] allowed.
pub fn client(prepared: &Prepared) -> Result<Client, CommandError> {
    Ok(Client::new(prepared.client_config.clone())?)
}

/// [`client`], telling `console` which request it waits for and how long its retries and
/// slow-downs wait.
pub fn client_with(prepared: &Prepared, console: &Arc<Console>) -> Result<Client, CommandError> {
    Ok(client(prepared)?.with_activity(console.hook()))
}

/// [`observe`], and past a second `console` says what the read waits for.
pub async fn observe_with(
    client: &Client,
    console: &Arc<Console>,
    prepared: &Prepared,
    recorded: &BTreeMap<Address, RecordedResource>,
) -> Observed {
    let _watch = console.phase("Reading Meta");
    observe(client, prepared, recorded).await
}

/// What the state records and what Meta holds, read at once: Meta is read for what the
/// configuration names while `state` is read (a large state on PostgreSQL takes about as long
/// as Meta does), then for whatever only the state names (usually nothing). Returns the state
/// document's serial and lineage beside its resources.
pub async fn read_recorded_and_meta(
    state: impl Future<Output = Result<Option<StateDocument>, CommandError>>,
    client: &Client,
    console: &Arc<Console>,
    prepared: &Prepared,
) -> Result<Recorded, CommandError> {
    let nothing_recorded = BTreeMap::new();
    let (doc, first) = futures::join!(
        state,
        observe_with(client, console, prepared, &nothing_recorded)
    );
    let doc = doc?;
    let base = doc.as_ref().map(|d| (d.serial, d.lineage));
    let (prior, resources) = recorded_of(doc);
    let observed = observe_more(client, prepared, &resources, first).await;
    Ok(Recorded {
        base,
        prior,
        resources,
        observed,
    })
}

/// For a command that does not lock the state (plan, drift): open the configuration's store
/// and read it (the prefetched read when it applies) and Meta at once.
pub async fn read_unlocked(
    prepared: &Prepared,
    prefetch: StatePrefetch,
    console: &Arc<Console>,
) -> Result<Recorded, CommandError> {
    let store = open(prepared).await?;
    let client = client_with(prepared, console)?;
    read_recorded_and_meta(
        read_state(&store, &prepared.desired, Some(prefetch)),
        &client,
        console,
        prepared,
    )
    .await
}

/// [`read_recorded_and_meta`]'s answer.
pub struct Recorded {
    /// The state's serial and lineage, when there is a state.
    pub base: Option<(u64, uuid::Uuid)>,
    pub prior: Option<PriorState>,
    pub resources: BTreeMap<Address, RecordedResource>,
    pub observed: Observed,
}

/// One read per distinct token: its `debug_token` and every business its credentials (as
/// declared, and as recorded under the same name) point at.
pub async fn observe(
    client: &Client,
    prepared: &Prepared,
    recorded: &BTreeMap<Address, RecordedResource>,
) -> Observed {
    let (reads, templates) = reads_of(prepared, recorded);
    read_meta(client, &reads, &templates).await
}

/// Complete `first`, a read of what the file names made before the state was known, with what
/// `recorded` adds: the businesses credentials were recorded in and the WABAs of recorded
/// templates, when `first` did not read them. Nothing is read when it did (the usual case).
pub async fn observe_more(
    client: &Client,
    prepared: &Prepared,
    recorded: &BTreeMap<Address, RecordedResource>,
    mut first: Observed,
) -> Observed {
    let (reads, templates) = reads_of(prepared, recorded);
    let reads: Vec<TokenReads> = reads
        .into_iter()
        .filter_map(|mut r| {
            r.business_ids
                .retain(|id| !first.businesses.contains_key(id));
            (!r.business_ids.is_empty()).then_some(r)
        })
        .collect();
    let templates: Vec<(Token, Vec<String>)> = templates
        .into_iter()
        .filter_map(|(token, mut wabas)| {
            wabas.retain(|w| !first.templates.contains_key(w));
            (!wabas.is_empty()).then_some((token, wabas))
        })
        .collect();
    if reads.is_empty() && templates.is_empty() {
        return first;
    }
    let more = read_meta(client, &reads, &templates).await;
    for (fingerprint, token) in more.tokens {
        first.tokens.entry(fingerprint).or_insert(token);
    }
    first.businesses.extend(more.businesses);
    first.templates.extend(more.templates);
    first
}

/// The businesses (per token) and template WABAs (per token) a read of Meta covers.
fn reads_of(
    prepared: &Prepared,
    recorded: &BTreeMap<Address, RecordedResource>,
) -> (Vec<TokenReads>, Vec<(Token, Vec<String>)>) {
    let mut by_token: BTreeMap<TokenFingerprint, TokenReads> = BTreeMap::new();
    for (name, token) in &prepared.tokens {
        let fp = token.fingerprint();
        let entry = by_token.entry(fp).or_insert_with(|| TokenReads {
            token: token.clone(),
            business_ids: Vec::new(),
        });
        let mut ids = vec![prepared.desired.credentials[name].business_id.clone()];
        if let Some(RecordedResource::Credentials(r)) = recorded.get(&Address::credentials(name)) {
            ids.push(r.business_id.clone());
        }
        for id in ids {
            if !entry.business_ids.contains(&id) {
                entry.business_ids.push(id);
            }
        }
    }
    let reads: Vec<TokenReads> = by_token.into_values().collect();
    (reads, template_reads(prepared, recorded))
}

/// Read `reads` and the templates of `templates`.
async fn read_meta(
    client: &Client,
    reads: &[TokenReads],
    templates: &[(Token, Vec<String>)],
) -> Observed {
    // The templates are read beside the portfolios, so they cost no extra wait.
    let (mut observed, templates) =
        futures::join!(client.observe(reads), client.read_templates(templates));
    observed.templates = templates;
    observed
}

/// The WABAs whose templates the registered kinds need read (`Kind::template_wabas`), each
/// with the token of the first credentials that name it (read once per WABA).
fn template_reads(
    prepared: &Prepared,
    recorded: &BTreeMap<Address, RecordedResource>,
) -> Vec<(Token, Vec<String>)> {
    let mut wanted: BTreeMap<String, &str> = BTreeMap::new();
    for kind in KINDS {
        for (waba, credentials) in kind.template_wabas(&prepared.desired, recorded) {
            wanted.entry(waba.to_string()).or_insert(credentials);
        }
    }
    let mut by_token: BTreeMap<TokenFingerprint, (Token, Vec<String>)> = BTreeMap::new();
    for (waba, credentials) in wanted {
        let Some(token) = prepared.tokens.get(credentials) else {
            continue;
        };
        by_token
            .entry(token.fingerprint())
            .or_insert_with(|| (token.clone(), Vec::new()))
            .1
            .push(waba);
    }
    by_token.into_values().collect()
}

/// Plan from prepared inputs; validation warnings join the plan's diagnostics.
pub fn make_plan(
    prepared: &Prepared,
    observed: &Observed,
    prior: Option<PriorState>,
    recorded: &BTreeMap<Address, RecordedResource>,
    targets: &[String],
    allow_destructive: bool,
    options: PlanOptions,
) -> Result<Plan, CommandError> {
    let targets = parse_targets(targets)?;
    let unmatched = crate::plan::planner::unmatched_targets(&prepared.desired, recorded, &targets);
    if !unmatched.is_empty() {
        let names: Vec<String> = unmatched.iter().map(|a| a.to_string()).collect();
        return Err(CommandError::new(format!(
            "--target {} matches nothing: neither declared in the configuration nor recorded in \
             the state. Check the spelling (kind.name, e.g. channel_configuration.Marketing_FR); \
             `wacfg state list` shows the recorded addresses",
            names.join(", ")
        )));
    }
    let mut p = plan(&PlanInput {
        desired: &prepared.desired,
        observed,
        prior,
        recorded,
        fingerprints: &prepared.fingerprints,
        targets,
        allow_destructive,
        options,
    });
    if !prepared.warnings.is_empty() {
        p.diagnostics
            .splice(0..0, prepared.warnings.iter().cloned());
        crate::plan::digest::seal(&mut p);
    }
    p.graph_api = graph_endpoint(&prepared.client_config);
    Ok(p)
}

/// The endpoint to name in plan and apply headers: the operator's, unless it is Meta's own.
pub fn graph_endpoint(config: &ClientConfig) -> Option<GraphEndpoint> {
    let set_by = config.set_by?;
    (!is_meta_graph_url(&config.base_url)).then(|| GraphEndpoint {
        url: config.base_url.clone(),
        set_by: set_by.to_string(),
    })
}

pub fn parse_targets(targets: &[String]) -> Result<Vec<Address>, CommandError> {
    targets
        .iter()
        .map(|t| {
            t.parse::<Address>()
                .map_err(|e| CommandError::new(e.to_string()))
        })
        .collect()
}

/// Open the configuration's state store, lock it for `operation` (waiting up to
/// `lock_timeout`), run `work` on it, and release the lock whatever `work` returned.
pub fn with_locked_store<T>(
    prepared: &Prepared,
    operation: &str,
    lock_timeout: &str,
    work: impl AsyncFnOnce(&Store) -> Result<T, CommandError>,
) -> Result<T, CommandError> {
    let timeout = crate::state::parse_duration(lock_timeout).map_err(CommandError::new)?;
    runtime()?.block_on(async {
        let store = open(prepared).await?;
        let lock = store.lock(operation, timeout).await?;
        let outcome = work(&store).await;
        lock.release().await?;
        outcome
    })
}

/// A read of the local state started before the configuration is validated, at the default
/// place (`wacfg.state.json` beside the configuration), on another thread: for a large state
/// the read takes about as long as validating a large file, and most configurations keep
/// their state there. A command that locks the state uses it only if the files are still as
/// read once it holds the lock (`read_locked_state`).
pub struct StatePrefetch {
    path: PathBuf,
    store: LocalStore,
    handle: PrefetchHandle,
}

type PrefetchHandle = std::thread::JoinHandle<Result<Option<StateDocument>, StateError>>;

pub fn prefetch_state(config: &ConfigSources) -> StatePrefetch {
    let path = super::config_dir(config.primary()).join("wacfg.state.json");
    let local = LocalStore::new(path.clone());
    let store = local.clone();
    StatePrefetch {
        path,
        store,
        handle: std::thread::spawn(move || local.read_unsealed()),
    }
}

/// The state document for a command holding the operation lock: the prefetched read when
/// `store` is the local file it read and the files are still exactly as read
/// (`LocalStore::adopt_read`, a few `stat`s), otherwise a read from the store now.
pub async fn read_locked_state(
    store: &Store,
    prefetch: Option<StatePrefetch>,
) -> Result<Option<StateDocument>, CommandError> {
    if let (Some(prefetch), Store::Local(local)) = (prefetch, store) {
        let StatePrefetch {
            store: read_by,
            handle,
            ..
        } = prefetch;
        if let Some(Ok(doc)) = joined(handle).await
            && local.adopt_read(&read_by)
        {
            return Ok(doc);
        }
    }
    Ok(store.read_unsealed().await?)
}

/// The prefetched read, waited for off the async workers (the read of Meta goes on
/// meanwhile); `None` when its thread died.
async fn joined(handle: PrefetchHandle) -> Option<Result<Option<StateDocument>, StateError>> {
    match tokio::task::spawn_blocking(move || handle.join()).await {
        Ok(Ok(read)) => Some(read),
        _ => None,
    }
}

/// The state document: the prefetched read when the configuration keeps its state exactly
/// there, otherwise a read from the store now.
pub async fn read_state(
    store: &Store,
    desired: &Desired,
    prefetch: Option<StatePrefetch>,
) -> Result<Option<StateDocument>, CommandError> {
    if let (Some(prefetch), StateSettings::Local { path }) = (prefetch, &desired.state)
        && *path == prefetch.path
        && let Some(read) = joined(prefetch.handle).await
    {
        return Ok(read?);
    }
    Ok(store.read_unsealed().await?)
}
