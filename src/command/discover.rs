//! `wacfg discover`: read one business portfolio (its owned and client WABAs and their
//! numbers) with a token and print it as a table, JSON, or a ready-to-use configuration file.
//! Only I/O here: the secret, the runtime, the request and printing; rendering is in
//! `render::discover`.

use std::io::IsTerminal;

use crate::cli::{DiscoverArgs, DiscoverFormat};
use crate::model::{MetaSettings, SecretAccess, SecretRef};
use crate::remote::{self, Client, ClientConfig, META_GRAPH_URL, Token};
use crate::render::discover as render;

use super::{CommandError, CommandResult, Operator, Outcome, use_color};

pub fn run(args: DiscoverArgs, no_color: bool, operator: &Operator) -> CommandResult {
    check_business_id(&args.business_id)?;
    let secret = parse_secret_ref(&args.token)?;
    // Meta's host unless the operator names another (--graph-url, WACFG_GRAPH_URL).
    let meta = MetaSettings {
        graph_url: META_GRAPH_URL.to_string(),
        api_version: args.api_version.clone(),
    };
    let config = ClientConfig::from_meta(
        &meta,
        operator.graph_url.as_deref(),
        args.remote.parallelism,
    )?;
    // The operator typed the reference: any path, still a small regular file.
    let token = Token::new(secret.resolve(&SecretAccess::anywhere())?);
    let client = Client::new(config)?;
    let business =
        remote::block_on(client.read_business(&token, &args.business_id))?.map_err(|e| {
            CommandError::new(format!("cannot read business {}: {e}", args.business_id))
        })?;
    let text = match args.format {
        DiscoverFormat::Human => {
            let color = use_color(no_color, std::io::stdout().is_terminal());
            render::human(&business, color)
        }
        DiscoverFormat::Json => render::json(&business),
        DiscoverFormat::Yaml => render::config_yaml(&business, &args.token),
    };
    out!("{text}");
    Ok(Outcome::Success)
}

/// A business portfolio ID is digits; say so before asking Meta.
fn check_business_id(id: &str) -> Result<(), CommandError> {
    if !id.is_empty() && id.chars().all(|c| c.is_ascii_digit()) {
        Ok(())
    } else {
        Err(CommandError::new(format!(
            "--business-id `{id}` is not a business portfolio ID: it is all digits, e.g. 1234567890123456"
        )))
    }
}

/// `env:VAR` or `file:PATH`; anything else is refused without echoing it (it may be a token).
fn parse_secret_ref(text: &str) -> Result<SecretRef, CommandError> {
    match text.split_once(':') {
        Some(("env", name)) if !name.trim().is_empty() => Ok(SecretRef::Env(name.trim().into())),
        Some(("file", path)) if !path.trim().is_empty() => Ok(SecretRef::File(path.trim().into())),
        _ => Err(CommandError::new(
            "--token must be env:VAR or file:PATH (a literal token is refused and not shown)",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_refs_are_env_or_file_and_a_literal_is_not_echoed() {
        assert_eq!(
            parse_secret_ref("env:WA").unwrap(),
            SecretRef::Env("WA".into())
        );
        assert_eq!(
            parse_secret_ref("file:tok.txt").unwrap(),
            SecretRef::File("tok.txt".into())
        );
        let err = parse_secret_ref("test-token-literal").unwrap_err();
        assert!(!err.message.contains("test-token-literal"));
        assert!(parse_secret_ref("env:").is_err());
    }

    #[test]
    fn business_ids_are_digits() {
        assert!(check_business_id("1234567890123456").is_ok());
        assert!(check_business_id("12ab").is_err());
        assert!(check_business_id("").is_err());
    }
}
