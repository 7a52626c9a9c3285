//! TLS to PostgreSQL with rustls (ring provider; OpenSSL is not used). The connection string's
//! `sslmode` and `sslrootcert` are read here, with libpq's meanings, and removed before the
//! rest is handed to `tokio-postgres` (which knows only disable/prefer/require):
//!
//! | `sslmode` | encrypted | server verified |
//! |---|---|---|
//! | `disable` | never | no |
//! | `prefer` (default) | if the server offers TLS, else in the clear | no |
//! | `require` | always (refused without TLS) | no (with `sslrootcert`: as `verify-ca`, like libpq) |
//! | `verify-ca` | always | certificate chain up to a trusted root |
//! | `verify-full` | always | chain, and the host name in the certificate |
//!
//! Trusted roots: the PEM file `sslrootcert=PATH` (relative to the working directory), else
//! the Mozilla roots built into wacfg (`webpki-roots`). `sslrootcert` without `sslmode` means
//! `verify-full`; beside `disable` or `prefer` it is refused (it would verify nothing).
//!
//! The path comes only from the connection string, which is itself an operator's secret
//! (`env:` or `file:` reference): the configuration YAML alone never names a file to read here.

use std::path::PathBuf;
use std::sync::Arc;

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};
use tokio_postgres::config::SslMode as DriverMode;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslMode {
    Disable,
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

impl SslMode {
    fn parse(value: &str) -> Result<Self, String> {
        Ok(match value {
            "disable" => SslMode::Disable,
            "prefer" => SslMode::Prefer,
            "require" => SslMode::Require,
            "verify-ca" => SslMode::VerifyCa,
            "verify-full" => SslMode::VerifyFull,
            // libpq's `allow` tries without TLS first: it never protects anything.
            other => {
                return Err(format!(
                    "sslmode={other} is not supported: use disable, prefer, require, verify-ca or \
                     verify-full"
                ));
            }
        })
    }

    fn driver(self) -> DriverMode {
        match self {
            SslMode::Disable => DriverMode::Disable,
            SslMode::Prefer => DriverMode::Prefer,
            _ => DriverMode::Require,
        }
    }
}

/// What the connection string asks for, once `sslmode`/`sslrootcert` are resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsSettings {
    pub mode: SslMode,
    pub root_cert: Option<PathBuf>,
}

/// Split a connection string (URL or key=value) into the string `tokio-postgres` parses and
/// the TLS settings. Errors never contain the connection string.
pub fn split(conn: &str) -> Result<(String, TlsSettings), String> {
    let (rest, mode, root) = if conn.contains("://") {
        split_url(conn)
    } else {
        split_key_values(conn)?
    };
    let mode = mode.as_deref().map(SslMode::parse).transpose()?;
    let root_cert = root.filter(|r| !r.is_empty()).map(PathBuf::from);
    let mode = match (mode, &root_cert) {
        (None, None) => SslMode::Prefer,
        (None, Some(_)) => SslMode::VerifyFull,
        (Some(SslMode::Require), Some(_)) => SslMode::VerifyCa,
        (Some(m @ (SslMode::Disable | SslMode::Prefer)), Some(_)) => {
            let name = if m == SslMode::Disable {
                "disable"
            } else {
                "prefer"
            };
            return Err(format!(
                "sslrootcert is set but sslmode={name} verifies nothing: use sslmode=verify-full \
                 (or verify-ca), or remove sslrootcert"
            ));
        }
        (Some(m), _) => m,
    };
    Ok((rest, TlsSettings { mode, root_cert }))
}

type Split = (String, Option<String>, Option<String>);

fn split_url(conn: &str) -> Split {
    let Some((base, query)) = conn.split_once('?') else {
        return (conn.to_string(), None, None);
    };
    let (mut mode, mut root) = (None, None);
    let mut kept = Vec::new();
    for pair in query.split('&') {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        match percent_decode(key).as_str() {
            "sslmode" => mode = Some(percent_decode(value)),
            "sslrootcert" => root = Some(percent_decode(value)),
            _ => kept.push(pair),
        }
    }
    let rest = if kept.is_empty() {
        base.to_string()
    } else {
        format!("{base}?{}", kept.join("&"))
    };
    (rest, mode, root)
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// libpq's `key = value` form: values unquoted or in single quotes, `\` escaping one character.
fn split_key_values(conn: &str) -> Result<Split, String> {
    let (mut mode, mut root) = (None, None);
    let mut kept = Vec::new();
    let mut chars = conn.chars().peekable();
    loop {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        let mut key = String::new();
        while let Some(c) = chars.next_if(|c| !c.is_whitespace() && *c != '=') {
            key.push(c);
        }
        if key.is_empty() {
            if chars.peek().is_none() {
                break;
            }
            return Err("the connection string is malformed (a `=` without a key)".into());
        }
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        if chars.next() != Some('=') {
            return Err(format!(
                "the connection string is malformed: `{key}` has no `=`"
            ));
        }
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        let quoted = chars.next_if_eq(&'\'').is_some();
        let mut value = String::new();
        let mut closed = !quoted;
        while let Some(c) = chars.next() {
            match c {
                '\\' => value.extend(chars.next()),
                '\'' if quoted => {
                    closed = true;
                    break;
                }
                c if c.is_whitespace() && !quoted => break,
                c => value.push(c),
            }
        }
        if !closed {
            return Err("the connection string has an unterminated quoted value".into());
        }
        match key.as_str() {
            "sslmode" => mode = Some(value),
            "sslrootcert" => root = Some(value),
            _ => kept.push(format!(
                "{key}='{}'",
                value.replace('\\', "\\\\").replace('\'', "\\'")
            )),
        }
    }
    Ok((kept.join(" "), mode, root))
}

/// What to warn about when `mode` does not verify the server and `hosts` (as the connection
/// string names them) are not this machine: on a network, anyone between wacfg and the server
/// can read the state, and unless the server is verified, also stand in for it and change it.
/// `None` for a verified connection, or one to loopback or a Unix socket only.
pub fn unverified_remote(mode: SslMode, hosts: &[tokio_postgres::config::Host]) -> Option<String> {
    use tokio_postgres::config::Host;
    let remote: Vec<&str> = hosts
        .iter()
        .filter_map(|h| match h {
            Host::Tcp(name) => Some(name.as_str()),
            _ => None,
        })
        .filter(|name| !is_loopback(name))
        .collect();
    if remote.is_empty() {
        return None;
    }
    let what = match mode {
        SslMode::VerifyCa | SslMode::VerifyFull => return None,
        SslMode::Disable => "is not encrypted (sslmode=disable)",
        SslMode::Prefer => {
            "does not verify the server, and is sent in the clear if the server offers no TLS (sslmode=prefer, the default)"
        }
        SslMode::Require => "is encrypted but does not verify the server (sslmode=require)",
    };
    Some(format!(
        "the state's PostgreSQL connection to {} {what}: add sslmode=verify-full (and \
         sslrootcert=PATH for a private CA) to the connection string",
        remote.join(", ")
    ))
}

fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// The driver's mode and the rustls configuration for `settings`.
pub fn client_config(settings: &TlsSettings) -> Result<(DriverMode, ClientConfig), String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("cannot set up TLS: {e}"))?;
    let config = match settings.mode {
        SslMode::Disable | SslMode::Prefer | SslMode::Require => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(EncryptOnly(provider)))
            .with_no_client_auth(),
        SslMode::VerifyCa | SslMode::VerifyFull => {
            let roots = Arc::new(roots(settings.root_cert.as_ref())?);
            let webpki = WebPkiServerVerifier::builder_with_provider(roots, provider)
                .build()
                .map_err(|e| format!("cannot set up TLS verification: {e}"))?;
            if settings.mode == SslMode::VerifyCa {
                builder
                    .dangerous()
                    .with_custom_certificate_verifier(Arc::new(ChainOnly(webpki)))
                    .with_no_client_auth()
            } else {
                builder.with_webpki_verifier(webpki).with_no_client_auth()
            }
        }
    };
    Ok((settings.mode.driver(), config))
}

fn roots(path: Option<&PathBuf>) -> Result<RootCertStore, String> {
    let mut store = RootCertStore::empty();
    let Some(path) = path else {
        store.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        return Ok(store);
    };
    let shown = path.display();
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(|e| format!("cannot read sslrootcert {shown}: {e}"))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("cannot read sslrootcert {shown}: {e}"))?;
    let (added, _ignored) = store.add_parsable_certificates(certs);
    if added == 0 {
        return Err(format!(
            "sslrootcert {shown} holds no usable certificate (expected PEM `BEGIN CERTIFICATE` blocks)"
        ));
    }
    Ok(store)
}

/// `prefer`/`require`: the session is encrypted and the handshake signature checked against the
/// certificate presented, but the certificate itself is not verified (libpq's meaning).
#[derive(Debug)]
struct EncryptOnly(Arc<CryptoProvider>);

impl ServerCertVerifier for EncryptOnly {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// `verify-ca`: the chain must lead to a trusted root; the host name is not compared. The
/// webpki verifier checks the chain before the name, so a name error means the chain held.
#[derive(Debug)]
struct ChainOnly(Arc<WebPkiServerVerifier>);

impl ServerCertVerifier for ChainOnly {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self
            .0
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
        {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mode(conn: &str) -> Result<SslMode, String> {
        split(conn).map(|(_, s)| s.mode)
    }

    #[test]
    fn an_unverified_connection_off_this_machine_is_warned_about() {
        let hosts = |conn: &str| {
            let (rest, tls) = split(conn).unwrap();
            let config: tokio_postgres::Config = rest.parse().unwrap();
            unverified_remote(tls.mode, config.get_hosts())
        };
        let warning = hosts("postgres://u@db.internal:5432/wacfg").expect("a warning");
        assert!(
            warning.contains("db.internal")
                && warning.contains("sslmode=prefer")
                && warning.contains("sslmode=verify-full"),
            "{warning}"
        );
        assert!(
            hosts("host=db.internal sslmode=require")
                .is_some_and(|w| w.contains("does not verify the server"))
        );
        assert!(
            hosts("host=db.internal sslmode=disable").is_some_and(|w| w.contains("not encrypted"))
        );
        // Verified, or on this machine only: nothing to say.
        assert_eq!(hosts("host=db.internal sslmode=verify-full"), None);
        assert_eq!(hosts("host=db.internal sslmode=verify-ca"), None);
        for local in [
            "host=127.0.0.1 user=postgres",
            "postgres://u@localhost/db",
            "postgres://u@[::1]:5432/db",
            "host=/var/run/postgresql user=postgres",
        ] {
            assert_eq!(hosts(local), None, "{local}");
        }
        // Two hosts, one of them remote: named.
        assert!(hosts("host=127.0.0.1,db2.internal").is_some_and(|w| w.contains("db2.internal")));
    }

    #[test]
    fn sslmode_defaults_to_prefer_and_takes_libpq_values() {
        assert_eq!(mode("postgres://u@h/db").unwrap(), SslMode::Prefer);
        assert_eq!(mode("host=h user=u").unwrap(), SslMode::Prefer);
        assert_eq!(
            mode("postgres://h/db?sslmode=require").unwrap(),
            SslMode::Require
        );
        assert_eq!(
            mode("host=h sslmode = 'verify-ca'").unwrap(),
            SslMode::VerifyCa
        );
        assert_eq!(
            mode("host=h sslmode=verify-full").unwrap(),
            SslMode::VerifyFull
        );
        assert_eq!(mode("host=h sslmode=disable").unwrap(), SslMode::Disable);
        let err = mode("host=h sslmode=allow").unwrap_err();
        assert!(err.contains("sslmode=allow is not supported"), "{err}");
    }

    #[test]
    fn sslrootcert_is_removed_from_what_the_driver_parses() {
        let (rest, s) =
            split("postgres://u:p@h:5432/db?sslmode=verify-ca&sslrootcert=%2Fca%20x.pem&application_name=w")
                .unwrap();
        assert_eq!(rest, "postgres://u:p@h:5432/db?application_name=w");
        assert_eq!(s.root_cert, Some(PathBuf::from("/ca x.pem")));
        let (rest, s) = split(r"host=h password='it\'s' sslrootcert='/a b.pem' dbname=d").unwrap();
        assert_eq!(rest, r"host='h' password='it\'s' dbname='d'");
        assert_eq!(s.root_cert, Some(PathBuf::from("/a b.pem")));
        assert_eq!(
            s.mode,
            SslMode::VerifyFull,
            "a root certificate means verify-full"
        );
    }

    #[test]
    fn sslrootcert_with_require_verifies_the_chain_and_with_prefer_is_refused() {
        assert_eq!(
            mode("host=h sslmode=require sslrootcert=/ca.pem").unwrap(),
            SslMode::VerifyCa
        );
        let err = mode("host=h sslmode=prefer sslrootcert=/ca.pem").unwrap_err();
        assert!(err.contains("verifies nothing"), "{err}");
    }
}
