//! `wacfg import templates --credentials NAME [--name GLOB] [--out FILE]`: adopt the message
//! templates that already exist in a credentials entry's WABA. Lock the state, read every page
//! of the WABA's templates, sort them (`adopt::select`), check that the YAML written for them
//! passes `validate` together with the configuration and reads back as what was adopted,
//! write it (stdout or a new file), then record the adopted templates in state so the next
//! plan is empty. Nothing is written to Meta. Templates that cannot be written as they are
//! stay unmanaged and are named with the reason.

use std::collections::BTreeSet;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use super::progress::Console;
use super::{CommandError, CommandResult, ConfigSources, Operator, Outcome, config_dir, pipeline};
use crate::cli::{ImportTemplatesArgs, PlanFormat};
use crate::config::{Loaded, SourceFile};
use crate::kinds::RecordedResource;
use crate::kinds::message_template::adopt::{self, Adopted, Selection};
use crate::model::Address;
use crate::render::template_yaml::{self, Entry, Origin};
use crate::state::{StateDocument, Store};

pub fn run(args: ImportTemplatesArgs, no_color: bool, operator: &Operator) -> CommandResult {
    let sources = ConfigSources::new(&args.config)?;
    let Some((desired, warnings)) = pipeline::load_valid(&sources, PlanFormat::Human, no_color)?
    else {
        return Ok(Outcome::Failed);
    };
    let Some(credentials) = desired.credentials.get(&args.credentials) else {
        let names: Vec<&str> = desired.credentials.keys().map(String::as_str).collect();
        let hint = crate::rules::did_you_mean(&args.credentials, names.iter().copied());
        return Err(CommandError::new(format!(
            "no credentials named `{}` in {}: {hint}declared: {}",
            args.credentials,
            sources.describe(),
            if names.is_empty() {
                "none".to_string()
            } else {
                names.join(", ")
            }
        )));
    };
    if let Some(out) = &args.out
        && out.exists()
    {
        return Err(CommandError::new(format!(
            "{} exists: name a new file (import never overwrites one)",
            out.display()
        )));
    }
    let waba_id = credentials.waba_id.clone();
    let prepared = pipeline::resolve_tokens(
        desired,
        warnings,
        &sources,
        operator,
        args.remote.parallelism,
    )?;
    pipeline::with_locked_store(
        &prepared,
        "import templates",
        &args.lock.lock_timeout,
        async |store| locked(&args, &sources, &prepared, store, &waba_id, no_color).await,
    )
}

async fn locked(
    args: &ImportTemplatesArgs,
    sources: &ConfigSources,
    prepared: &pipeline::Prepared,
    store: &Store,
    waba_id: &str,
    no_color: bool,
) -> CommandResult {
    let name = &args.credentials;
    let Some(mut doc) = store.read().await? else {
        return Err(CommandError::new(format!(
            "there is no state yet at {}: record the credentials first (`wacfg import credentials.{name}`, or `wacfg apply`)",
            store.describe()
        )));
    };
    if doc.get(&Address::credentials(name)).is_none() {
        return Err(CommandError::new(format!(
            "credentials.{name} is not in the state: record it first (`wacfg import credentials.{name}`, or `wacfg apply`)"
        )));
    }
    let token = prepared.tokens.get(name).cloned().ok_or_else(|| {
        CommandError::new(format!("credentials.{name} has no token to read Meta with"))
    })?;
    let console = Console::new(no_color);
    let client = pipeline::client_with(prepared, &console)?;
    let read = {
        let _watch = console.phase("Reading the WABA's message templates");
        client
            .read_templates(&[(token, vec![waba_id.to_string()])])
            .await
            .remove(waba_id)
    };
    let read = match read {
        Some(Ok(read)) => read,
        Some(Err(e)) => {
            return Err(CommandError::new(format!(
                "cannot read the message templates of WABA {waba_id}: {}",
                e.message
            )));
        }
        None => {
            return Err(CommandError::new(format!(
                "the message templates of WABA {waba_id} were not read"
            )));
        }
    };
    let languages: usize = read.values().map(|l| l.len()).sum();
    console.line(&format!(
        "Read {} template(s), {languages} language(s), from WABA {waba_id}.",
        read.len()
    ));
    let desired = &prepared.desired;
    let mut selection = adopt::select(
        &read,
        args.name.as_deref(),
        name,
        waba_id,
        |n| {
            desired.message_templates.get(n).map(|t| adopt::Declared {
                credentials: t.credentials.clone(),
                languages: t.languages.keys().cloned().collect(),
            })
        },
        |n| doc.get(&Address::message_template(n)).is_some(),
    );
    if selection.matched() == 0 {
        return Err(CommandError::new(match &args.name {
            Some(glob) => format!(
                "no message template of WABA {waba_id} matches --name {glob}: nothing imported"
            ),
            None => format!("WABA {waba_id} has no message template: nothing imported"),
        }));
    }
    let origin = Origin {
        credentials: name,
        waba_id,
        glob: args.name.as_deref(),
    };
    let yaml_path = args
        .out
        .clone()
        .unwrap_or_else(|| config_dir(sources.primary()).join("imported-templates.yaml"));
    let text = checked_yaml(&origin, sources, &yaml_path, &mut selection)?;
    // The YAML first: a record without its entry would be planned for deletion. Nothing new
    // to declare, nothing written (no empty file left behind).
    if !selection.new.is_empty() {
        write_yaml(args.out.as_deref(), &text)?;
    }
    let recorded = record(store, &mut doc, &selection).await?;
    report(&console, args.out.as_deref(), sources, &selection, recorded);
    Ok(Outcome::Success)
}

/// The YAML for the new templates, validated together with the configuration and read back:
/// a template whose entry draws a diagnostic, or reads back as something else than what was
/// adopted, moves to `skipped` with the reason, and the text is made again without it.
fn checked_yaml(
    origin: &Origin<'_>,
    sources: &ConfigSources,
    path: &Path,
    selection: &mut Selection,
) -> Result<String, CommandError> {
    loop {
        let rendered = {
            let entries: Vec<Entry<'_>> = selection
                .new
                .iter()
                .map(|a| Entry {
                    imported: &a.imported,
                    facts: &a.facts,
                })
                .collect();
            template_yaml::render(origin, &entries, &selection.skipped)
        };
        let validation = validate_with(sources, path, &rendered.text);
        let mut bad: Vec<(String, String)> = Vec::new();
        let mut stray = Vec::new();
        for d in validation.diagnostics.iter().filter(|d| d.is_error()) {
            let line = d.span.as_ref().map_or(0, |s| s.line);
            let owner = (d.file.as_deref() == Some(path))
                .then(|| rendered.lines.iter().find(|(_, r)| r.contains(&line)))
                .flatten();
            match owner {
                Some((name, _)) if !bad.iter().any(|(n, _)| n == name) => {
                    bad.push((
                        name.clone(),
                        format!("would not pass validate: {}", d.message),
                    ));
                }
                Some(_) => {}
                None => stray.push(d.message.clone()),
            }
        }
        if !stray.is_empty() {
            return Err(CommandError::new(format!(
                "the YAML written for the templates does not validate with the configuration (nothing was recorded): {}",
                stray.join("; ")
            )));
        }
        if bad.is_empty()
            && let Some(desired) = &validation.desired
        {
            for a in &selection.new {
                let read_back = desired.message_templates.get(&a.imported.name);
                let same = read_back.is_some_and(|d| {
                    d.languages == a.imported.languages
                        && d.category == a.imported.category
                        && d.parameter_format == a.imported.parameter_format
                        && d.message_send_ttl_seconds == a.imported.message_send_ttl_seconds
                });
                if !same {
                    bad.push((
                        a.imported.name.clone(),
                        "its YAML does not read back as what Meta holds".into(),
                    ));
                }
            }
        }
        if bad.is_empty() {
            return Ok(rendered.text);
        }
        let names: BTreeSet<String> = bad.iter().map(|(n, _)| n.clone()).collect();
        selection.new.retain(|a| !names.contains(&a.imported.name));
        selection.skipped.extend(bad);
        selection.skipped.sort();
    }
}

/// Validate the configuration with `text` as one more source at `path` (not written yet).
fn validate_with(sources: &ConfigSources, path: &Path, text: &str) -> crate::validate::Validation {
    let mut loaded: Vec<Loaded> = sources
        .paths
        .iter()
        .map(|p| crate::config::load_path(p))
        .collect();
    let bytes = text.as_bytes().to_vec();
    let (tree, problem) = crate::config::parse_bytes(path, &bytes);
    loaded.push(Loaded {
        base_dir: config_dir(path),
        files: vec![SourceFile {
            path: path.to_path_buf(),
            bytes,
            tree,
        }],
        diagnostics: problem.into_iter().collect(),
    });
    crate::validate::validate_overlay(loaded, &sources.vars)
}

fn write_yaml(out: Option<&Path>, text: &str) -> Result<(), CommandError> {
    match out {
        Some(path) => {
            let mut file = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(path)
                .map_err(|e| {
                    CommandError::new(format!(
                        "cannot create {} (nothing was recorded): {e}",
                        path.display()
                    ))
                })?;
            file.write_all(text.as_bytes())
                .and_then(|_| file.sync_all())
                .map_err(|e| {
                    CommandError::new(format!(
                        "cannot write {} (nothing was recorded): {e}",
                        path.display()
                    ))
                })
        }
        None => {
            let mut stdout = std::io::stdout().lock();
            stdout
                .write_all(text.as_bytes())
                .and_then(|_| stdout.flush())
                .map_err(|e| {
                    CommandError::new(format!(
                        "cannot write to stdout (nothing was recorded): {e}"
                    ))
                })
        }
    }
}

/// Record every adopted template; compare-and-swap on the serial read under the lock.
async fn record(
    store: &Store,
    doc: &mut StateDocument,
    selection: &Selection,
) -> Result<Option<u64>, CommandError> {
    let adopted: Vec<&Adopted> = selection.new.iter().chain(&selection.declared).collect();
    if adopted.is_empty() {
        return Ok(None);
    }
    let serial = doc.serial;
    for a in adopted {
        doc.upsert(RecordedResource::MessageTemplate(a.record.clone()));
    }
    let written = store.write(doc, Some(serial)).await?;
    Ok(Some(written.serial))
}

fn report(
    console: &Console,
    out: Option<&Path>,
    sources: &ConfigSources,
    selection: &Selection,
    serial: Option<u64>,
) {
    let count = |list: &[Adopted]| -> (usize, usize) {
        (
            list.len(),
            list.iter().map(|a| a.record.languages.len()).sum(),
        )
    };
    let (new, new_langs) = count(&selection.new);
    let (declared, declared_langs) = count(&selection.declared);
    let mut lines = Vec::new();
    if let Some(serial) = serial {
        lines.push(format!(
            "Adopted {} template(s), {} language(s), into the state (now serial {serial}). Nothing was changed at Meta.",
            new + declared,
            new_langs + declared_langs
        ));
    } else {
        lines.push("Nothing adopted: the state is unchanged.".to_string());
    }
    if new == 0 {
        lines.push("  No YAML written: no template to add to the configuration.".to_string());
    } else {
        let place = match out {
            Some(p) => where_it_is_read(p, sources),
            None => "to stdout: add it to the configuration before the next plan (a recorded template missing from the configuration is planned for deletion)".to_string(),
        };
        lines.push(format!("  {new} written as YAML {place}."));
    }
    if declared > 0 {
        lines.push(format!(
            "  {declared} already declared in the configuration, recorded as Meta has them (the next plan shows any difference as an edit): {}.",
            selection
                .declared
                .iter()
                .map(|a| a.imported.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    for (name, why) in &selection.partly {
        lines.push(format!("  {name}: {why}."));
    }
    if !selection.managed.is_empty() {
        lines.push(format!(
            "  {} already in the state, left as recorded: {}.",
            selection.managed.len(),
            selection.managed.join(", ")
        ));
    }
    if !selection.skipped.is_empty() {
        lines.push(format!(
            "  {} not adopted (they stay at Meta, unmanaged):",
            selection.skipped.len()
        ));
        for (name, why) in &selection.skipped {
            lines.push(format!("    {name}: {why}"));
        }
    }
    for line in lines {
        console.line(&line);
    }
}

/// Whether the configuration reads `path` as it is given, and what to do if not.
fn where_it_is_read(path: &Path, sources: &ConfigSources) -> String {
    let canonical = |p: &Path| -> Option<PathBuf> { std::fs::canonicalize(p).ok() };
    let parent = canonical(&config_dir(path));
    let in_a_directory = sources
        .paths
        .iter()
        .filter(|p| p.is_dir())
        .any(|p| canonical(p).is_some() && canonical(p) == parent);
    if in_a_directory {
        format!(
            "to {}, in a configuration directory, so the next plan reads it",
            path.display()
        )
    } else {
        format!(
            "to {}: add `-c {}` to every command, or move its entries into {}, before the next plan (a recorded template missing from the configuration is planned for deletion)",
            path.display(),
            path.display(),
            sources.primary().display()
        )
    }
}

#[cfg(test)]
mod tests {
    //! The YAML `render::template_yaml` writes, read back by the configuration's parser (a
    //! layer `render` may not use itself).

    use crate::kinds::message_template::adopt::Imported;
    use crate::kinds::message_template::model::{Body, Category, Language, ParameterFormat};
    use crate::render::template_yaml::{Entry, Origin, key_or_quoted, quote, render};

    #[test]
    fn any_text_meta_sends_reads_back_exactly() {
        let tricky = [
            "plain",
            "quote \" and backslash \\ and {{1}}",
            "new\nline, tab\t, return\r",
            "DEL \u{7f}, NEL \u{85}, C1 \u{9b}, BOM \u{feff}, nul \u{0}",
            "émoji 🎉 and ü",
            "# not a comment: - [x] {y}",
            "  leading and trailing  ",
        ];
        for text in tricky {
            let yaml = format!("k: {}\n", quote(text));
            let tree = crate::config::parse_strict(&yaml).expect(&yaml);
            assert_eq!(tree.get_str("k"), Some(text), "{yaml}");
        }
    }

    #[test]
    fn names_and_keys_yaml_would_read_otherwise_are_quoted() {
        assert_eq!(key_or_quoted("en_US"), "en_US");
        assert_eq!(key_or_quoted("order_update"), "order_update");
        for odd in ["no", "true", "Null", "2fa_code", "a-b", ""] {
            assert!(key_or_quoted(odd).starts_with('"'), "{odd}");
        }
    }

    #[test]
    fn entries_take_the_lines_they_are_written_on() {
        let imported = |name: &str| Imported {
            name: name.into(),
            category: Category::Utility,
            parameter_format: ParameterFormat::Positional,
            message_send_ttl_seconds: Some(600),
            languages: [(
                "en_US".to_string(),
                Language {
                    body: Body {
                        text: Some("Hi there".into()),
                        ..Body::default()
                    },
                    ..Language::default()
                },
            )]
            .into(),
        };
        let (a, b) = (imported("a_first"), imported("b_second"));
        let facts = Default::default();
        let entries = [
            Entry {
                imported: &a,
                facts: &facts,
            },
            Entry {
                imported: &b,
                facts: &facts,
            },
        ];
        let origin = Origin {
            credentials: "acme_fr",
            waba_id: "1",
            glob: None,
        };
        let skipped = [("c_third".to_string(), "why\nnot".to_string())];
        let r = render(&origin, &entries, &skipped);
        let lines: Vec<&str> = r.text.lines().collect();
        for (name, range) in &r.lines {
            assert_eq!(lines[range.start() - 1], format!("  - name: {name}"));
            assert!(lines[range.end() - 1].contains("text: \"Hi there\""));
        }
        assert!(r.text.contains("    message_send_ttl_seconds: 600\n"));
        assert!(r.text.ends_with("#   c_third: why not\n"), "{}", r.text);
        let tree = crate::config::parse_strict(&r.text).expect("valid YAML");
        assert_eq!(
            tree.get("message_templates")
                .and_then(|m| m.as_seq())
                .map(<[_]>::len),
            Some(2)
        );
    }
}
