//! Adoption of templates that already exist at Meta (`wacfg import templates`), pure: Meta's
//! languages of one name turned back into the file's model (`Imported`) and the record state
//! keeps for them, or the reason they cannot be. A template is adopted only when wacfg would
//! send exactly what Meta holds: the model is turned back into Meta's components and compared
//! with what was read, so nothing Meta returns is dropped or changed on the way; the first
//! difference is the reason given. Also the `--name` glob.

use std::collections::BTreeMap;

use serde_json::Value;

use super::components::{as_written, components};
use super::model::{
    Body, Button, ButtonType, Category, Examples, Header, HeaderFormat, Language, ParameterFormat,
    RecordedLanguage, RecordedTemplate, SupportedApp,
};
use crate::model::ObservedTemplate;

/// Statuses of a template Meta is deleting: nothing to adopt.
const BEING_DELETED: [&str; 2] = ["PENDING_DELETION", "DELETED"];

/// One template as the file will declare it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Imported {
    pub name: String,
    pub category: Category,
    pub parameter_format: ParameterFormat,
    pub message_send_ttl_seconds: Option<u32>,
    pub languages: BTreeMap<String, Language>,
}

/// A template adopted: the file's entry, what Meta says of each language (for comments), and
/// the record for state.
#[derive(Debug, Clone)]
pub struct Adopted {
    pub imported: Imported,
    /// Per language: Meta's status, rejected reason and quality, as read.
    pub facts: BTreeMap<String, ObservedTemplate>,
    pub record: RecordedTemplate,
}

/// Adopt the languages of template `name` (as read from the WABA `waba_id`) for the
/// credentials entry `credentials`; `Err` says why the template cannot be written as it is.
pub fn adopt(
    name: &str,
    languages: &BTreeMap<String, ObservedTemplate>,
    credentials: &str,
    waba_id: &str,
) -> Result<Adopted, String> {
    let first = languages
        .values()
        .next()
        .ok_or_else(|| "Meta listed no language".to_string())?;
    if let Some(t) = languages
        .values()
        .find(|t| BEING_DELETED.contains(&t.status.as_str()))
    {
        return Err(format!(
            "{} is {} at Meta: being deleted, nothing to manage",
            t.language, t.status
        ));
    }
    let category = Category::parse(&first.category).ok_or_else(|| {
        format!(
            "category {:?} is not one wacfg knows (MARKETING, UTILITY, AUTHENTICATION)",
            first.category
        )
    })?;
    let format_of = |t: &ObservedTemplate| match t.parameter_format.as_deref() {
        None | Some("POSITIONAL") | Some("positional") => Ok(ParameterFormat::Positional),
        Some("NAMED") | Some("named") => Ok(ParameterFormat::Named),
        Some(other) => Err(format!(
            "parameter_format {other:?} is not POSITIONAL or NAMED"
        )),
    };
    let parameter_format = format_of(first)?;
    for t in languages.values() {
        if t.category != first.category {
            return Err(format!(
                "its languages have different categories at Meta ({} {}, {} {}); the file has one category per template",
                first.language, first.category, t.language, t.category
            ));
        }
        if format_of(t)? != parameter_format {
            return Err(format!(
                "its languages have different parameter formats at Meta ({} and {}); the file has one per template",
                first.language, t.language
            ));
        }
        if t.message_send_ttl_seconds != first.message_send_ttl_seconds {
            return Err(format!(
                "its languages have different message_send_ttl_seconds at Meta ({} and {}); the file has one per template",
                first.language, t.language
            ));
        }
    }
    let (min, max) = category.ttl_range();
    let message_send_ttl_seconds = match first.message_send_ttl_seconds {
        None => None,
        Some(n) => Some(
            u32::try_from(n)
                .ok()
                .filter(|n| (min..=max).contains(n))
                .ok_or_else(|| {
                    format!(
                        "message_send_ttl_seconds is {n} at Meta; the file takes {min} to {max} for a {} template",
                        category.as_str()
                    )
                })?,
        ),
    };
    let mut out = BTreeMap::new();
    let mut recorded = BTreeMap::new();
    for (code, t) in languages {
        // What Meta writes into an AUTHENTICATION template itself, taken out first.
        let authentication = category == Category::Authentication;
        let read = as_written(&t.components, authentication, None);
        let lang = language(&read).map_err(|why| format!("{code}: {why}"))?;
        let ours = components(&lang, parameter_format);
        let theirs = normalized(&read);
        if let Some(path) = first_difference(&theirs, &ours, "components") {
            return Err(format!(
                "{code}: Meta's `{path}` has no place in wacfg's file model (it would not be sent back as it is)"
            ));
        }
        recorded.insert(
            code.clone(),
            RecordedLanguage {
                id: t.id.clone(),
                status: t.status.clone(),
                components: ours,
                rejected_reason: t.rejected_reason.clone(),
                quality_score: t.quality_score.clone(),
                edits: Vec::new(),
                // Meta does not say when it was created; the hourly creation count is
                // about creates wacfg sends.
                created_at: None,
            },
        );
        out.insert(code.clone(), lang);
    }
    let imported = Imported {
        name: name.to_string(),
        category,
        parameter_format,
        message_send_ttl_seconds,
        languages: out,
    };
    let record = RecordedTemplate {
        name: name.to_string(),
        credentials: credentials.to_string(),
        waba_id: waba_id.to_string(),
        category,
        parameter_format,
        allow_category_change: false,
        prevent_destroy: false,
        message_send_ttl_seconds,
        languages: recorded,
    };
    Ok(Adopted {
        imported,
        facts: languages.clone(),
        record,
    })
}

/// Meta's components of one language (put the way wacfg writes them: `as_written`) in the
/// file's model. Only the kinds the model has are accepted here; every field is then checked
/// by comparing what the model sends back.
fn language(components: &Value) -> Result<Language, String> {
    let items = components
        .as_array()
        .ok_or_else(|| "Meta sent no components list".to_string())?;
    let mut lang = Language::default();
    let mut seen = Vec::new();
    for c in items {
        let kind = c
            .get("type")
            .and_then(Value::as_str)
            .ok_or_else(|| "a component without a type".to_string())?;
        if seen.contains(&kind) {
            return Err(format!("two {kind} components"));
        }
        seen.push(kind);
        match kind {
            "HEADER" => lang.header = Some(header(c)?),
            "BODY" => {
                lang.body = Body {
                    text: text(c, "text"),
                    example: body_examples(c.get("example")),
                    add_security_recommendation: c
                        .get("add_security_recommendation")
                        .and_then(Value::as_bool)
                        .unwrap_or(false),
                };
            }
            "FOOTER" => {
                lang.footer = text(c, "text");
                lang.code_expiration_minutes = c
                    .get("code_expiration_minutes")
                    .and_then(Value::as_u64)
                    .and_then(|n| u32::try_from(n).ok());
            }
            "BUTTONS" => {
                let buttons = c
                    .get("buttons")
                    .and_then(Value::as_array)
                    .ok_or_else(|| "a BUTTONS component without buttons".to_string())?;
                lang.buttons = buttons.iter().map(button).collect::<Result<_, _>>()?;
            }
            other => {
                return Err(format!(
                    "component {other} is not in wacfg's file model (HEADER, BODY, FOOTER, BUTTONS)"
                ));
            }
        }
    }
    Ok(lang)
}

fn text(c: &Value, key: &str) -> Option<String> {
    c.get(key).and_then(Value::as_str).map(str::to_string)
}

fn strings(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|i| i.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    }
}

fn named(v: Option<&Value>) -> Examples {
    Examples::Named(
        v.and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|p| {
                Some((
                    p.get("param_name")?.as_str()?.to_string(),
                    p.get("example")?.as_str()?.to_string(),
                ))
            })
            .collect(),
    )
}

fn header(c: &Value) -> Result<Header, String> {
    let raw = c.get("format").and_then(Value::as_str).unwrap_or("TEXT");
    let format = HeaderFormat::parse(raw).ok_or_else(|| {
        format!("a {raw} header is not in wacfg's file model (TEXT, IMAGE, VIDEO, DOCUMENT)")
    })?;
    let example = c.get("example");
    let example = match (
        format,
        example.and_then(|e| e.get("header_text_named_params")),
    ) {
        (HeaderFormat::Text, Some(params)) => named(Some(params)),
        (HeaderFormat::Text, None) => {
            Examples::List(strings(example.and_then(|e| e.get("header_text"))))
        }
        _ => Examples::List(strings(example.and_then(|e| e.get("header_handle")))),
    };
    Ok(Header {
        format,
        text: text(c, "text"),
        example,
        file: None,
        file_sha256: None,
    })
}

fn body_examples(example: Option<&Value>) -> Examples {
    match example {
        Some(e) if e.get("body_text_named_params").is_some() => {
            named(e.get("body_text_named_params"))
        }
        Some(e) => Examples::List(strings(
            e.get("body_text")
                .and_then(Value::as_array)
                .and_then(|rows| rows.first()),
        )),
        None => Examples::default(),
    }
}

fn button(b: &Value) -> Result<Button, String> {
    let raw = b
        .get("type")
        .and_then(Value::as_str)
        .ok_or_else(|| "a button without a type".to_string())?;
    let kind = ButtonType::parse(raw).ok_or_else(|| {
        format!(
            "a {raw} button is not in wacfg's file model (QUICK_REPLY, URL, PHONE_NUMBER, COPY_CODE, OTP)"
        )
    })?;
    Ok(Button {
        kind,
        text: text(b, "text"),
        url: text(b, "url"),
        phone_number: text(b, "phone_number"),
        example: strings(b.get("example")),
        otp_type: text(b, "otp_type"),
        supported_apps: b
            .get("supported_apps")
            .and_then(Value::as_array)
            .map(|apps| {
                apps.iter()
                    .map(|app| SupportedApp {
                        package_name: text(app, "package_name").unwrap_or_default(),
                        signature_hash: text(app, "signature_hash").unwrap_or_default(),
                    })
                    .collect()
            })
            .unwrap_or_default(),
    })
}

/// Meta's components with what carries no meaning put the way wacfg writes it: named
/// examples in name order, and a one-item example list of a COPY_CODE button as its item.
fn normalized(components: &Value) -> Value {
    let Value::Array(items) = components else {
        return components.clone();
    };
    let items = items.iter().map(|c| {
        let Value::Object(map) = c else {
            return c.clone();
        };
        let mut map = map.clone();
        if let Some(Value::Object(example)) = map.get_mut("example") {
            for key in ["header_text_named_params", "body_text_named_params"] {
                if let Some(Value::Array(params)) = example.get_mut(key) {
                    params.sort_by(|a, b| {
                        let name = |v: &Value| {
                            v.get("param_name")
                                .and_then(Value::as_str)
                                .unwrap_or("")
                                .to_string()
                        };
                        name(a).cmp(&name(b))
                    });
                }
            }
        }
        if let Some(Value::Array(buttons)) = map.get_mut("buttons") {
            for b in buttons.iter_mut() {
                let copy_code = b.get("type").and_then(Value::as_str) == Some("COPY_CODE");
                if let (true, Some(Value::Array(one))) = (copy_code, b.get("example"))
                    && let [only] = one.as_slice()
                {
                    let only = only.clone();
                    b["example"] = only;
                }
                if let (false, Some(Value::String(s))) = (copy_code, b.get("example")) {
                    let list = Value::Array(vec![Value::String(s.clone())]);
                    b["example"] = list;
                }
            }
        }
        Value::Object(map)
    });
    Value::Array(items.collect())
}

/// The first place `theirs` (Meta's) and `ours` (what wacfg would send) differ, as a path.
pub fn first_difference(theirs: &Value, ours: &Value, path: &str) -> Option<String> {
    match (theirs, ours) {
        (Value::Object(a), Value::Object(b)) => {
            let keys: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
            keys.into_iter().find_map(|k| {
                let here = format!("{path}.{k}");
                match (a.get(k), b.get(k)) {
                    (Some(x), Some(y)) => first_difference(x, y, &here),
                    _ => Some(here),
                }
            })
        }
        (Value::Array(a), Value::Array(b)) => {
            let n = a.len().max(b.len());
            (0..n).find_map(|i| {
                let here = format!("{path}[{i}]");
                match (a.get(i), b.get(i)) {
                    (Some(x), Some(y)) => first_difference(x, y, &here),
                    _ => Some(here),
                }
            })
        }
        (a, b) if a == b => None,
        _ => Some(path.to_string()),
    }
}

/// `--name`: `*` any run of characters, `?` any one; everything else itself.
pub fn glob_matches(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    let (mut pi, mut ni) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ni < n.len() {
        match p.get(pi) {
            Some('*') => {
                star = Some((pi, ni));
                pi += 1;
            }
            Some(c) if *c == '?' || *c == n[ni] => {
                pi += 1;
                ni += 1;
            }
            _ => match star {
                Some((sp, sn)) => {
                    pi = sp + 1;
                    ni = sn + 1;
                    star = Some((sp, sn + 1));
                }
                None => return false,
            },
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

/// What `wacfg import templates` does with each template read, by name.
#[derive(Debug, Default)]
pub struct Selection {
    /// To write as YAML and record.
    pub new: Vec<Adopted>,
    /// Declared in the configuration already (for these credentials), not recorded: recorded
    /// only (the file's entry stays as it is; the next plan shows any difference as an edit).
    pub declared: Vec<Adopted>,
    /// Recorded in the state already: left alone.
    pub managed: Vec<String>,
    /// Not adopted, with the reason.
    pub skipped: Vec<(String, String)>,
    /// Adopted in part: a declared template's languages at Meta that the configuration does
    /// not declare stay unmanaged (recording them would plan their deletion).
    pub partly: Vec<(String, String)>,
}

/// How the configuration declares a template: for which credentials, in which languages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Declared {
    pub credentials: String,
    pub languages: std::collections::BTreeSet<String>,
}

impl Selection {
    pub fn matched(&self) -> usize {
        self.new.len() + self.declared.len() + self.managed.len() + self.skipped.len()
    }
}

/// Sort every template of a WABA's read into a [`Selection`]. `declared_for` says how the
/// configuration declares a name, `recorded` whether state has it.
pub fn select(
    read: &crate::model::TemplatesByName,
    glob: Option<&str>,
    credentials: &str,
    waba_id: &str,
    declared_for: impl Fn(&str) -> Option<Declared>,
    recorded: impl Fn(&str) -> bool,
) -> Selection {
    let mut out = Selection::default();
    for (name, languages) in read {
        if glob.is_some_and(|g| !glob_matches(g, name)) {
            continue;
        }
        if recorded(name) {
            out.managed.push(name.clone());
            continue;
        }
        let Some(declared) = declared_for(name) else {
            match adopt(name, languages, credentials, waba_id) {
                Ok(a) => out.new.push(a),
                Err(why) => out.skipped.push((name.clone(), why)),
            }
            continue;
        };
        if declared.credentials != credentials {
            out.skipped.push((
                name.clone(),
                format!(
                    "declared in the configuration for credentials `{}`, not `{credentials}`",
                    declared.credentials
                ),
            ));
            continue;
        }
        let (wanted, left): (BTreeMap<String, ObservedTemplate>, Vec<&String>) = {
            let mut wanted = BTreeMap::new();
            let mut left = Vec::new();
            for (code, t) in languages {
                if declared.languages.contains(code) {
                    wanted.insert(code.clone(), t.clone());
                } else {
                    left.push(code);
                }
            }
            (wanted, left)
        };
        if wanted.is_empty() {
            out.skipped.push((
                name.clone(),
                "the configuration declares none of its languages at Meta".to_string(),
            ));
            continue;
        }
        match adopt(name, &wanted, credentials, waba_id) {
            Ok(a) => {
                if !left.is_empty() {
                    let codes: Vec<&str> = left.iter().map(|c| c.as_str()).collect();
                    out.partly.push((
                        name.clone(),
                        format!(
                            "{} at Meta not declared in the configuration: left unmanaged",
                            codes.join(", ")
                        ),
                    ));
                }
                out.declared.push(a);
            }
            Err(why) => out.skipped.push((name.clone(), why)),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn row(language: &str, category: &str, components: Value) -> ObservedTemplate {
        ObservedTemplate {
            id: format!("1{}", language.len()),
            name: "order_update".into(),
            language: language.into(),
            status: "APPROVED".into(),
            category: category.into(),
            components,
            ..ObservedTemplate::default()
        }
    }

    fn one(t: ObservedTemplate) -> BTreeMap<String, ObservedTemplate> {
        [(t.language.clone(), t)].into()
    }

    #[test]
    fn metas_components_round_trip_through_the_file_model() {
        let comps = json!([
            {"type": "HEADER", "format": "TEXT", "text": "Order {{1}}", "example": {"header_text": ["#1234"]}},
            {"type": "BODY", "text": "Hi {{1}}, your order {{2}} ships today.", "example": {"body_text": [["Ana", "#1234"]]}},
            {"type": "FOOTER", "text": "Reply STOP to opt out"},
            {"type": "BUTTONS", "buttons": [
                {"type": "QUICK_REPLY", "text": "Track"},
                {"type": "URL", "text": "Details", "url": "https://acme.example/o/{{1}}", "example": ["https://acme.example/o/1234"]},
                {"type": "PHONE_NUMBER", "text": "Call", "phone_number": "+15550100001"},
                {"type": "COPY_CODE", "example": ["SAVE10"]}
            ]}
        ]);
        let a = adopt(
            "order_update",
            &one(row("en_US", "UTILITY", comps)),
            "acme_fr",
            "1",
        )
        .expect("representable");
        let lang = &a.imported.languages["en_US"];
        assert_eq!(lang.footer.as_deref(), Some("Reply STOP to opt out"));
        assert_eq!(lang.buttons.len(), 4);
        assert_eq!(lang.buttons[3].example, vec!["SAVE10".to_string()]);
        // The record holds what the file's entry sends, so the next plan compares equal.
        assert_eq!(
            a.record.languages["en_US"].components,
            components(lang, ParameterFormat::Positional)
        );
        assert_eq!(a.record.languages["en_US"].status, "APPROVED");
    }

    #[test]
    fn named_parameters_and_media_headers_are_kept() {
        let comps = json!([
            {"type": "HEADER", "format": "IMAGE", "example": {"header_handle": ["https://scontent.example/x.jpg"]}},
            {"type": "BODY", "text": "Hi {{first_name}}, order {{order}} ships.", "example": {"body_text_named_params": [
                {"param_name": "order", "example": "#1"},
                {"param_name": "first_name", "example": "Ana"}
            ]}}
        ]);
        let mut t = row("fr_FR", "MARKETING", comps);
        t.parameter_format = Some("NAMED".into());
        let a = adopt("promo", &one(t), "acme_fr", "1").expect("representable");
        assert_eq!(a.imported.parameter_format, ParameterFormat::Named);
        let lang = &a.imported.languages["fr_FR"];
        assert_eq!(
            lang.header.as_ref().map(|h| h.format),
            Some(HeaderFormat::Image)
        );
        assert_eq!(
            lang.body.example,
            Examples::Named(
                [
                    ("first_name".to_string(), "Ana".to_string()),
                    ("order".to_string(), "#1".to_string())
                ]
                .into()
            )
        );
    }

    #[test]
    fn what_the_model_lacks_is_named_never_dropped() {
        let cases = [
            (
                json!([{"type": "BODY", "text": "Hi there"}, {"type": "CAROUSEL", "cards": []}]),
                "component CAROUSEL",
            ),
            (
                json!([{"type": "HEADER", "format": "LOCATION"}, {"type": "BODY", "text": "Hi there"}]),
                "a LOCATION header",
            ),
            (
                json!([{"type": "BODY", "text": "Hi there"}, {"type": "BUTTONS", "buttons": [{"type": "FLOW", "text": "Go", "flow_id": "1"}]}]),
                "a FLOW button",
            ),
            (
                json!([{"type": "BODY", "text": "Hi there"}, {"type": "BUTTONS", "buttons": [{"type": "URL", "text": "Go", "url": "https://a.example", "tracking": true}]}]),
                "components[1].buttons[0].tracking",
            ),
            (
                json!([{"type": "BODY", "text": "Hi there", "example": {"body_text": [["a"], ["b"]]}}]),
                "components[0].example.body_text[1]",
            ),
        ];
        for (comps, expected) in cases {
            let why = adopt("t", &one(row("en_US", "UTILITY", comps.clone())), "c", "1")
                .expect_err(&comps.to_string());
            assert!(why.contains(expected), "{why} should name {expected}");
            assert!(why.starts_with("en_US: "), "{why}");
        }
    }

    #[test]
    fn languages_must_agree_on_what_the_file_holds_once() {
        let body = json!([{"type": "BODY", "text": "Hi there"}]);
        let mut langs = one(row("en_US", "UTILITY", body.clone()));
        langs.insert("fr_FR".into(), row("fr_FR", "MARKETING", body.clone()));
        let why = adopt("t", &langs, "c", "1").unwrap_err();
        assert!(why.contains("different categories"), "{why}");
        let mut deleting = row("en_US", "UTILITY", body);
        deleting.status = "PENDING_DELETION".into();
        let why = adopt("t", &one(deleting), "c", "1").unwrap_err();
        assert!(why.contains("being deleted"), "{why}");
    }

    #[test]
    fn authentication_text_meta_writes_is_left_to_meta() {
        let comps = json!([
            {"type": "BODY", "text": "*{{1}}* is your verification code.", "add_security_recommendation": true},
            {"type": "FOOTER", "text": "This code expires in 10 minutes.", "code_expiration_minutes": 10},
            {"type": "BUTTONS", "buttons": [{"type": "OTP", "otp_type": "COPY_CODE", "text": "Copy code"}]}
        ]);
        let a = adopt("otp", &one(row("en_US", "AUTHENTICATION", comps)), "c", "1")
            .expect("representable");
        let lang = &a.imported.languages["en_US"];
        assert_eq!(lang.body.text, None);
        assert!(lang.body.add_security_recommendation);
        assert_eq!(lang.footer, None);
        assert_eq!(lang.code_expiration_minutes, Some(10));
    }

    /// As Meta reads an AUTHENTICATION template back: its own texts, and the OTP button as a
    /// URL button to its OTP link (with an example). Adopted as the OTP button it was sent as.
    #[test]
    fn an_otp_button_read_back_as_metas_otp_link_is_adopted_as_an_otp_button() {
        let comps = json!([
            {"type": "BODY", "text": "*{{1}}* is your verification code. For your security, do not share this code.",
             "add_security_recommendation": true, "example": {"body_text": [["123456"]]}},
            {"type": "FOOTER", "text": "This code expires in 10 minutes.", "code_expiration_minutes": 10},
            {"type": "BUTTONS", "buttons": [{"type": "URL", "text": "Copy code",
             "url": "https://www.whatsapp.com/otp/code/?otp_type=COPY_CODE&code_expiration_minutes=10&code=otp{{1}}",
             "example": ["https://www.whatsapp.com/otp/code/?otp_type=COPY_CODE&code_expiration_minutes=10&code=otp123456"]}]}
        ]);
        let a = adopt("otp", &one(row("en_US", "AUTHENTICATION", comps)), "c", "1")
            .expect("representable");
        let lang = &a.imported.languages["en_US"];
        assert_eq!(lang.buttons.len(), 1);
        let b = &lang.buttons[0];
        assert_eq!(
            (
                b.kind.as_str(),
                b.otp_type.as_deref(),
                b.text.as_deref(),
                b.url.as_deref()
            ),
            ("OTP", Some("COPY_CODE"), Some("Copy code"), None)
        );
        assert_eq!(lang.code_expiration_minutes, Some(10));
    }

    #[test]
    fn selection_leaves_recorded_ones_and_honours_the_glob() {
        let body = json!([{"type": "BODY", "text": "Hi there"}]);
        let mut read = crate::model::TemplatesByName::new();
        for name in ["order_a", "order_b", "welcome", "declared", "other_creds"] {
            let mut t = row("en_US", "UTILITY", body.clone());
            t.name = name.into();
            read.insert(name.into(), one(t));
        }
        // Meta has a language of `declared` the file does not declare.
        let mut fr = row("fr_FR", "UTILITY", body.clone());
        fr.name = "declared".into();
        read.get_mut("declared").unwrap().insert("fr_FR".into(), fr);
        let declared = |n: &str| {
            let credentials = match n {
                "declared" => "acme",
                "other_creds" => "beta",
                _ => return None,
            };
            Some(Declared {
                credentials: credentials.to_string(),
                languages: ["en_US".to_string()].into(),
            })
        };
        let s = select(&read, None, "acme", "1", declared, |n| n == "order_b");
        let names =
            |l: &[Adopted]| -> Vec<String> { l.iter().map(|a| a.imported.name.clone()).collect() };
        assert_eq!(names(&s.new), ["order_a", "welcome"]);
        assert_eq!(names(&s.declared), ["declared"]);
        assert_eq!(
            s.declared[0].record.languages.keys().collect::<Vec<_>>(),
            ["en_US"],
            "an undeclared language is not recorded: the plan would delete it"
        );
        assert_eq!(s.partly.len(), 1);
        assert!(s.partly[0].1.starts_with("fr_FR at Meta"), "{:?}", s.partly);
        assert_eq!(s.managed, ["order_b"]);
        assert_eq!(s.skipped.len(), 1);
        assert!(s.skipped[0].1.contains("`beta`"));
        let s = select(&read, Some("order_*"), "acme", "1", declared, |_| false);
        assert_eq!(names(&s.new), ["order_a", "order_b"]);
        assert_eq!(s.matched(), 2);
    }

    #[test]
    fn globs() {
        assert!(glob_matches("order_*", "order_update"));
        assert!(glob_matches("*", ""));
        assert!(glob_matches("*_update", "order_update"));
        assert!(glob_matches("o?der*e", "order_update"));
        assert!(glob_matches("order_update", "order_update"));
        assert!(!glob_matches("order_", "order_update"));
        assert!(!glob_matches("*x*", "order_update"));
        assert!(!glob_matches("?", ""));
    }
}
