//! One language of a template in Meta's component shape (`HEADER`, `BODY`, `FOOTER`,
//! `BUTTONS`), the JSON sent on create and edit. Also the comparable form used to see what Meta
//! changed: media examples read back as URLs, not the handles sent, so examples are left out.

use serde_json::{Map, Value, json};

use super::media;
use super::model::{Examples, HeaderFormat, Language, ParameterFormat};

fn named_params(examples: &Examples) -> Value {
    match examples {
        Examples::Named(map) => Value::Array(
            map.iter()
                .map(|(k, v)| json!({"param_name": k, "example": v}))
                .collect(),
        ),
        Examples::List(list) => json!(list),
    }
}

fn list(examples: &Examples) -> Vec<String> {
    match examples {
        Examples::List(list) => list.clone(),
        Examples::Named(map) => map.values().cloned().collect(),
    }
}

/// The components Meta expects for `lang`.
pub fn components(lang: &Language, format: ParameterFormat) -> Value {
    let named = format == ParameterFormat::Named;
    let mut out = Vec::new();
    if let Some(h) = &lang.header {
        let mut c = Map::new();
        c.insert("type".into(), json!("HEADER"));
        c.insert("format".into(), json!(h.format.as_str()));
        if let Some(text) = &h.text {
            c.insert("text".into(), json!(text));
        }
        if !h.example.is_empty() {
            let example = match (h.format, named) {
                (HeaderFormat::Text, true) => {
                    json!({"header_text_named_params": named_params(&h.example)})
                }
                (HeaderFormat::Text, false) => json!({"header_text": list(&h.example)}),
                _ => json!({"header_handle": list(&h.example)}),
            };
            c.insert("example".into(), example);
        } else if let Some(file) = &h.file {
            // Replaced by the upload handle when apply uploads the file; the digest is the
            // record's, never sent (`media::with_handles` drops it).
            let mut example = Map::new();
            example.insert(
                "header_handle".into(),
                json!([format!("file:{}", file.display())]),
            );
            if let Some(digest) = &h.file_sha256 {
                example.insert(media::FILE_DIGEST.into(), json!(digest));
            }
            c.insert("example".into(), Value::Object(example));
        }
        out.push(Value::Object(c));
    }
    let mut body = Map::new();
    body.insert("type".into(), json!("BODY"));
    if let Some(text) = &lang.body.text {
        body.insert("text".into(), json!(text));
    }
    if !lang.body.example.is_empty() {
        let example = if named {
            json!({"body_text_named_params": named_params(&lang.body.example)})
        } else {
            json!({"body_text": [list(&lang.body.example)]})
        };
        body.insert("example".into(), example);
    }
    if lang.body.add_security_recommendation {
        body.insert("add_security_recommendation".into(), json!(true));
    }
    out.push(Value::Object(body));
    if let Some(text) = &lang.footer {
        out.push(json!({"type": "FOOTER", "text": text}));
    } else if let Some(minutes) = lang.code_expiration_minutes {
        out.push(json!({"type": "FOOTER", "code_expiration_minutes": minutes}));
    }
    if !lang.buttons.is_empty() {
        let buttons: Vec<Value> = lang
            .buttons
            .iter()
            .map(|b| {
                let mut c = Map::new();
                c.insert("type".into(), json!(b.kind.as_str()));
                for (key, value) in [
                    ("otp_type", &b.otp_type),
                    ("text", &b.text),
                    ("url", &b.url),
                    ("phone_number", &b.phone_number),
                ] {
                    if let Some(v) = value {
                        c.insert(key.into(), json!(v));
                    }
                }
                if !b.supported_apps.is_empty() {
                    c.insert("supported_apps".into(), supported_apps(&b.supported_apps));
                }
                match (b.kind.as_str(), b.example.as_slice()) {
                    (_, []) => {}
                    ("COPY_CODE", [one, ..]) => {
                        c.insert("example".into(), json!(one));
                    }
                    (_, all) => {
                        c.insert("example".into(), json!(all));
                    }
                }
                Value::Object(c)
            })
            .collect();
        out.push(json!({"type": "BUTTONS", "buttons": buttons}));
    }
    Value::Array(out)
}

/// An OTP button's apps as Meta takes them: `[{"package_name", "signature_hash"}]`.
fn supported_apps(apps: &[super::model::SupportedApp]) -> Value {
    Value::Array(
        apps.iter()
            .map(|a| json!({"package_name": a.package_name, "signature_hash": a.signature_hash}))
            .collect(),
    )
}

/// Where Meta points the URL button it reads an OTP button back as.
const OTP_LINK: &str = "https://www.whatsapp.com/otp/code/";

/// Meta's read-back of one language put the way wacfg writes it. For an AUTHENTICATION
/// template Meta writes the body's text and the expiry footer's text itself, and reads the OTP
/// button back as a URL button to its OTP link (`…/otp/code/?otp_type=COPY_CODE&…`): the texts
/// are left out and the button is given back as sent, `{"type": "OTP", "otp_type": …,
/// "text": …}` — without the text when `recorded` (what wacfg sent) has none at that place,
/// since Meta then fills in its default. Other categories are compared as read.
pub fn as_written<'v>(
    observed: &'v Value,
    authentication: bool,
    recorded: Option<&Value>,
) -> std::borrow::Cow<'v, Value> {
    use std::borrow::Cow;
    let Value::Array(items) = observed else {
        return Cow::Borrowed(observed);
    };
    if !authentication {
        return Cow::Borrowed(observed);
    }
    let recorded_buttons = recorded
        .and_then(Value::as_array)
        .and_then(|items| items.iter().find(|c| c["type"] == "BUTTONS"))
        .and_then(|c| c["buttons"].as_array());
    let items = items.iter().map(|c| {
        let Value::Object(map) = c else {
            return c.clone();
        };
        let mut map = map.clone();
        match map.get("type").and_then(Value::as_str) {
            Some("BODY") => {
                map.remove("text");
            }
            Some("FOOTER") if map.contains_key("code_expiration_minutes") => {
                map.remove("text");
            }
            Some("BUTTONS") => {
                if let Some(Value::Array(buttons)) = map.get_mut("buttons") {
                    for (i, b) in buttons.iter_mut().enumerate() {
                        let sent = recorded_buttons.and_then(|r| r.get(i));
                        let text_sent =
                            recorded_buttons.map(|_| sent.is_some_and(|r| r.get("text").is_some()));
                        if let Some(mut otp) = otp_button(b, text_sent.unwrap_or(true)) {
                            // The apps as read back; when Meta's read-back has none, what
                            // was sent (Meta documents no read-back of them).
                            let apps = b
                                .get("supported_apps")
                                .or_else(|| sent.and_then(|s| s.get("supported_apps")));
                            if let (Some(apps), Value::Object(map)) = (apps, &mut otp) {
                                map.insert("supported_apps".into(), apps.clone());
                            }
                            *b = otp;
                        }
                    }
                }
            }
            _ => {}
        }
        Value::Object(map)
    });
    Cow::Owned(Value::Array(items.collect()))
}

/// The OTP button a URL button to Meta's OTP link stands for (its `otp_type` from the link),
/// keeping its text when `keep_text`.
fn otp_button(b: &Value, keep_text: bool) -> Option<Value> {
    let url = b.get("url").and_then(Value::as_str)?;
    if b["type"] != "URL" || !url.starts_with(OTP_LINK) {
        return None;
    }
    let query = url.split_once('?').map_or("", |(_, q)| q);
    let otp_type = query
        .split('&')
        .find_map(|pair| pair.strip_prefix("otp_type="))?
        .to_ascii_uppercase();
    let mut otp = Map::new();
    otp.insert("type".into(), json!("OTP"));
    otp.insert("otp_type".into(), json!(otp_type));
    if let (true, Some(text)) = (keep_text, b.get("text")) {
        otp.insert("text".into(), text.clone());
    }
    Some(Value::Object(otp))
}

/// What Meta's read-back can be compared on: every component and button without `example`
/// (media handles come back as URLs; example shapes vary between versions).
pub fn comparable(components: &Value) -> Value {
    fn strip(v: &Value) -> Value {
        match v {
            Value::Object(m) => Value::Object(
                m.iter()
                    .filter(|(k, _)| k.as_str() != "example")
                    .map(|(k, v)| (k.clone(), strip(v)))
                    .collect(),
            ),
            Value::Array(items) => Value::Array(items.iter().map(strip).collect()),
            other => other.clone(),
        }
    }
    strip(components)
}

/// `comparable(a) == comparable(b)`, without copying either: every key but `example`
/// compared, at every level (keys in any order, as `Value`'s equality does).
pub fn comparable_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            // Usually both list their keys in the same order: compare member by member, and
            // look keys up (hashing each) only when the orders differ.
            let kept = |(k, _): &(&String, &Value)| k.as_str() != "example";
            let (mut xs, mut ys) = (x.iter().filter(kept), y.iter().filter(kept));
            loop {
                match (xs.next(), ys.next()) {
                    (None, None) => return true,
                    (Some((kx, v)), Some((ky, w))) if kx == ky => {
                        if !comparable_eq(v, w) {
                            return false;
                        }
                    }
                    _ => return comparable_eq_unordered(x, y),
                }
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(v, w)| comparable_eq(v, w))
        }
        (x, y) => x == y,
    }
}

/// `components(lang, format) == *value`, without building the components: what the plan
/// asks of every language of every template, most of them unchanged. Mirrors `components`
/// key by key; a property test checks that the two always agree.
pub fn components_eq(lang: &Language, format: ParameterFormat, value: &Value) -> bool {
    let named = format == ParameterFormat::Named;
    let Value::Array(items) = value else {
        return false;
    };
    let mut items = items.iter();
    let mut next_is = |wanted: &dyn Fn(&Value) -> bool| items.next().is_some_and(wanted);
    if let Some(h) = &lang.header
        && !next_is(&|c| header_eq(h, named, c))
    {
        return false;
    }
    if !next_is(&|c| body_eq(&lang.body, named, c)) {
        return false;
    }
    let footer_ok = if let Some(text) = &lang.footer {
        next_is(&|c| {
            object_is(
                c,
                &[
                    ("type", Some(&is_str("FOOTER"))),
                    ("text", Some(&is_str(text))),
                ],
            )
        })
    } else if let Some(minutes) = lang.code_expiration_minutes {
        next_is(&|c| {
            object_is(
                c,
                &[
                    ("type", Some(&is_str("FOOTER"))),
                    ("code_expiration_minutes", Some(&|v: &Value| *v == minutes)),
                ],
            )
        })
    } else {
        true
    };
    if !footer_ok {
        return false;
    }
    if !lang.buttons.is_empty() {
        let buttons_ok = next_is(&|c| {
            object_is(
                c,
                &[
                    ("type", Some(&is_str("BUTTONS"))),
                    ("buttons", Some(&|v: &Value| buttons_eq(&lang.buttons, v))),
                ],
            )
        });
        if !buttons_ok {
            return false;
        }
    }
    items.next().is_none()
}

/// A test on one JSON value.
type Wanted<'w> = Option<&'w dyn Fn(&Value) -> bool>;

/// `value` is an object with exactly the keys whose test is `Some`, each passing it. Walks
/// the object's members rather than looking each key up (a lookup hashes the key).
fn object_is(value: &Value, fields: &[(&str, Wanted<'_>)]) -> bool {
    let Value::Object(map) = value else {
        return false;
    };
    let expected = fields.iter().filter(|(_, wanted)| wanted.is_some()).count();
    // The object's keys are distinct, and so are the fields': as many members as expected
    // fields, each one an expected field passing its test, is exactly the fields.
    map.len() == expected
        && map.iter().all(|(key, v)| {
            fields
                .iter()
                .find(|(name, _)| *name == key.as_str())
                .and_then(|(_, wanted)| *wanted)
                .is_some_and(|wanted| wanted(v))
        })
}

/// The test in `t`, if any, as a field of [`object_is`].
fn test_of<F: Fn(&Value) -> bool>(t: &Option<F>) -> Wanted<'_> {
    t.as_ref().map(|t| t as &dyn Fn(&Value) -> bool)
}

fn is_str(text: &str) -> impl Fn(&Value) -> bool + '_ {
    move |v| v.as_str() == Some(text)
}

/// `value` is an array of exactly these strings.
fn strings_are<'s>(value: &Value, mut strings: impl ExactSizeIterator<Item = &'s String>) -> bool {
    match value {
        Value::Array(items) => {
            items.len() == strings.len()
                && items
                    .iter()
                    .all(|v| strings.next().is_some_and(|s| v.as_str() == Some(s)))
        }
        _ => false,
    }
}

/// `value == json!(list(examples))`.
fn list_eq(examples: &Examples, value: &Value) -> bool {
    match examples {
        Examples::List(list) => strings_are(value, list.iter()),
        Examples::Named(map) => strings_are(value, map.values()),
    }
}

/// `value == named_params(examples)`.
fn named_params_eq(examples: &Examples, value: &Value) -> bool {
    match (examples, value) {
        (Examples::List(list), _) => strings_are(value, list.iter()),
        (Examples::Named(map), Value::Array(items)) => {
            items.len() == map.len()
                && map.iter().zip(items).all(|((k, v), item)| {
                    object_is(
                        item,
                        &[
                            ("param_name", Some(&is_str(k))),
                            ("example", Some(&is_str(v))),
                        ],
                    )
                })
        }
        (Examples::Named(_), _) => false,
    }
}

fn header_eq(h: &super::model::Header, named: bool, value: &Value) -> bool {
    let example = |v: &Value| -> bool {
        if h.example.is_empty() {
            let Some(file) = &h.file else {
                return false;
            };
            let handle = format!("file:{}", file.display());
            let digest = h.file_sha256.as_deref().map(is_str);
            return object_is(
                v,
                &[
                    (
                        "header_handle",
                        Some(&|v: &Value| strings_are(v, std::iter::once(&handle))),
                    ),
                    (media::FILE_DIGEST, test_of(&digest)),
                ],
            );
        }
        let (key, test): (&str, &dyn Fn(&Value) -> bool) = match (h.format, named) {
            (HeaderFormat::Text, true) => ("header_text_named_params", &|v: &Value| {
                named_params_eq(&h.example, v)
            }),
            (HeaderFormat::Text, false) => ("header_text", &|v: &Value| list_eq(&h.example, v)),
            _ => ("header_handle", &|v: &Value| list_eq(&h.example, v)),
        };
        object_is(v, &[(key, Some(test))])
    };
    let has_example = !h.example.is_empty() || h.file.is_some();
    let text = h.text.as_deref().map(is_str);
    object_is(
        value,
        &[
            ("type", Some(&is_str("HEADER"))),
            ("format", Some(&is_str(h.format.as_str()))),
            ("text", test_of(&text)),
            (
                "example",
                has_example.then_some(&example as &dyn Fn(&Value) -> bool),
            ),
        ],
    )
}

fn body_eq(body: &super::model::Body, named: bool, value: &Value) -> bool {
    let example = |v: &Value| -> bool {
        if named {
            object_is(
                v,
                &[(
                    "body_text_named_params",
                    Some(&|v: &Value| named_params_eq(&body.example, v)),
                )],
            )
        } else {
            let nested = |v: &Value| match v {
                Value::Array(outer) => outer.len() == 1 && list_eq(&body.example, &outer[0]),
                _ => false,
            };
            object_is(v, &[("body_text", Some(&nested))])
        }
    };
    let text = body.text.as_deref().map(is_str);
    let security = |v: &Value| *v == Value::Bool(true);
    object_is(
        value,
        &[
            ("type", Some(&is_str("BODY"))),
            ("text", test_of(&text)),
            (
                "example",
                (!body.example.is_empty()).then_some(&example as &dyn Fn(&Value) -> bool),
            ),
            (
                "add_security_recommendation",
                body.add_security_recommendation
                    .then_some(&security as &dyn Fn(&Value) -> bool),
            ),
        ],
    )
}

fn buttons_eq(buttons: &[super::model::Button], value: &Value) -> bool {
    let Value::Array(items) = value else {
        return false;
    };
    items.len() == buttons.len() && buttons.iter().zip(items).all(|(b, v)| button_eq(b, v))
}

fn button_eq(b: &super::model::Button, value: &Value) -> bool {
    let (otp_type, text, url, phone) = (
        b.otp_type.as_deref().map(is_str),
        b.text.as_deref().map(is_str),
        b.url.as_deref().map(is_str),
        b.phone_number.as_deref().map(is_str),
    );
    let example = |v: &Value| match (b.kind.as_str(), b.example.as_slice()) {
        ("COPY_CODE", [one, ..]) => v.as_str() == Some(one),
        (_, all) => strings_are(v, all.iter()),
    };
    let apps = |v: &Value| *v == supported_apps(&b.supported_apps);
    object_is(
        value,
        &[
            ("type", Some(&is_str(b.kind.as_str()))),
            ("otp_type", test_of(&otp_type)),
            ("text", test_of(&text)),
            ("url", test_of(&url)),
            ("phone_number", test_of(&phone)),
            (
                "supported_apps",
                (!b.supported_apps.is_empty()).then_some(&apps as &dyn Fn(&Value) -> bool),
            ),
            (
                "example",
                (!b.example.is_empty()).then_some(&example as &dyn Fn(&Value) -> bool),
            ),
        ],
    )
}

/// [`comparable_eq`] of two objects whose kept keys are not in the same order.
fn comparable_eq_unordered(x: &Map<String, Value>, y: &Map<String, Value>) -> bool {
    let kept = |m: &Map<String, Value>| m.keys().filter(|k| *k != "example").count();
    kept(x) == kept(y)
        && x.iter()
            .filter(|(k, _)| k.as_str() != "example")
            .all(|(k, v)| y.get(k).is_some_and(|w| comparable_eq(v, w)))
}

#[cfg(test)]
mod tests {
    use super::super::model::{Body, Button, ButtonType, Header};
    use super::*;

    #[test]
    fn metas_authentication_read_back_is_put_the_way_wacfg_sent_it() {
        let read = json!([
            {"type": "BODY", "text": "*{{1}}* is your verification code.", "add_security_recommendation": false},
            {"type": "FOOTER", "text": "This code expires in 5 minutes.", "code_expiration_minutes": 5},
            {"type": "BUTTONS", "buttons": [
                {"type": "URL", "text": "Copy code",
                 "url": "https://www.whatsapp.com/otp/code/?otp_type=copy_code&code=otp{{1}}",
                 "example": ["https://www.whatsapp.com/otp/code/?otp_type=copy_code&code=otp1"]},
                {"type": "URL", "text": "Site", "url": "https://acme.example/{{1}}"}
            ]}
        ]);
        let sent_without_text =
            json!([{"type": "BUTTONS", "buttons": [{"type": "OTP", "otp_type": "COPY_CODE"}]}]);
        let written = as_written(&read, true, Some(&sent_without_text));
        assert_eq!(
            *written,
            json!([
                {"type": "BODY", "add_security_recommendation": false},
                {"type": "FOOTER", "code_expiration_minutes": 5},
                {"type": "BUTTONS", "buttons": [
                    {"type": "OTP", "otp_type": "COPY_CODE"},
                    {"type": "URL", "text": "Site", "url": "https://acme.example/{{1}}"}
                ]}
            ])
        );
        // A text the file gave is kept, to be compared.
        let kept = as_written(&read, true, None);
        assert_eq!(kept[2]["buttons"][0]["text"], "Copy code");
        // Other categories are compared as read, without a copy.
        assert!(matches!(
            as_written(&read, false, None),
            std::borrow::Cow::Borrowed(_)
        ));
    }

    #[test]
    fn positional_components_follow_metas_shape() {
        let lang = Language {
            header: Some(Header {
                format: HeaderFormat::Text,
                text: Some("Order {{1}}".into()),
                example: Examples::List(vec!["#1234".into()]),
                file: None,
                file_sha256: None,
            }),
            body: Body {
                text: Some("Hi {{1}}, order {{2}} ships.".into()),
                example: Examples::List(vec!["Ana".into(), "#1234".into()]),
                add_security_recommendation: false,
            },
            footer: Some("Reply STOP to opt out".into()),
            code_expiration_minutes: None,
            buttons: vec![Button {
                kind: ButtonType::Url,
                text: Some("Details".into()),
                url: Some("https://acme.example/o/{{1}}".into()),
                phone_number: None,
                example: vec!["1234".into()],
                otp_type: None,
                supported_apps: Vec::new(),
            }],
        };
        let c = components(&lang, ParameterFormat::Positional);
        assert_eq!(
            c,
            json!([
                {"type": "HEADER", "format": "TEXT", "text": "Order {{1}}", "example": {"header_text": ["#1234"]}},
                {"type": "BODY", "text": "Hi {{1}}, order {{2}} ships.", "example": {"body_text": [["Ana", "#1234"]]}},
                {"type": "FOOTER", "text": "Reply STOP to opt out"},
                {"type": "BUTTONS", "buttons": [{"type": "URL", "text": "Details", "url": "https://acme.example/o/{{1}}", "example": ["1234"]}]}
            ])
        );
        assert_eq!(
            comparable(&c)[1],
            json!({"type": "BODY", "text": "Hi {{1}}, order {{2}} ships."})
        );
    }

    #[test]
    fn named_examples_are_param_name_pairs() {
        let lang = Language {
            body: Body {
                text: Some("Hi {{first_name}} there".into()),
                example: Examples::Named([("first_name".to_string(), "Ana".to_string())].into()),
                add_security_recommendation: false,
            },
            ..Language::default()
        };
        let c = components(&lang, ParameterFormat::Named);
        assert_eq!(
            c[0]["example"],
            json!({"body_text_named_params": [{"param_name": "first_name", "example": "Ana"}]})
        );
    }

    #[test]
    fn comparable_eq_agrees_with_comparing_the_stripped_copies() {
        let a = json!([
            {"type": "HEADER", "format": "TEXT", "text": "Order {{1}}", "example": {"header_text": ["#1"]}},
            {"type": "BUTTONS", "buttons": [{"type": "URL", "url": "u", "example": ["1"]}]}
        ]);
        let cases = [
            a.clone(),
            json!([
                {"example": {"header_text": ["#2"]}, "text": "Order {{1}}", "format": "TEXT", "type": "HEADER"},
                {"type": "BUTTONS", "buttons": [{"type": "URL", "url": "u"}]}
            ]),
            json!([
                {"type": "HEADER", "format": "TEXT", "text": "Order {{2}}"},
                {"type": "BUTTONS", "buttons": [{"type": "URL", "url": "u"}]}
            ]),
            json!([
                {"type": "HEADER", "format": "TEXT", "text": "Order {{1}}", "extra": 1},
                {"type": "BUTTONS", "buttons": [{"type": "URL", "url": "u"}]}
            ]),
            json!([{"type": "HEADER", "format": "TEXT", "text": "Order {{1}}"}]),
            json!({"example": 1}),
            json!({}),
            json!(null),
            json!("x"),
        ];
        for x in &cases {
            for y in &cases {
                assert_eq!(
                    comparable_eq(x, y),
                    comparable(x) == comparable(y),
                    "{x} / {y}"
                );
            }
        }
    }

    mod agree {
        //! `components_eq` against building the components and comparing them.

        use std::path::PathBuf;

        use proptest::prelude::*;
        use proptest::sample::select;

        use super::super::super::model::{Body, Button, ButtonType, Header, SupportedApp};
        use super::*;

        /// Short texts from few letters, so that two generated languages often share some.
        fn text() -> impl Strategy<Value = String> {
            "[ab]{0,2}"
        }

        fn examples() -> impl Strategy<Value = Examples> {
            prop_oneof![
                proptest::collection::vec(text(), 0..3).prop_map(Examples::List),
                proptest::collection::btree_map(text(), text(), 0..3).prop_map(Examples::Named),
            ]
        }

        fn header() -> impl Strategy<Value = Header> {
            let format = select(
                &[
                    HeaderFormat::Text,
                    HeaderFormat::Image,
                    HeaderFormat::Video,
                    HeaderFormat::Document,
                ][..],
            );
            let file =
                proptest::option::of(select(&["a.png", "b.pdf"][..]).prop_map(PathBuf::from));
            let digest = proptest::option::of(
                select(&["sha256:01", "sha256:02"][..]).prop_map(String::from),
            );
            (
                format,
                proptest::option::of(text()),
                examples(),
                file,
                digest,
            )
                .prop_map(|(format, text, example, file, file_sha256)| Header {
                    format,
                    text,
                    example,
                    file_sha256: file.as_ref().and(file_sha256),
                    file,
                })
        }

        fn button() -> impl Strategy<Value = Button> {
            let kind = select(
                &[
                    ButtonType::QuickReply,
                    ButtonType::Url,
                    ButtonType::PhoneNumber,
                    ButtonType::CopyCode,
                    ButtonType::Otp,
                ][..],
            );
            let field = || proptest::option::of(text());
            (
                kind,
                field(),
                field(),
                field(),
                proptest::collection::vec(text(), 0..3),
                field(),
                proptest::collection::vec(
                    (text(), text()).prop_map(|(package_name, signature_hash)| SupportedApp {
                        package_name,
                        signature_hash,
                    }),
                    0..2,
                ),
            )
                .prop_map(
                    |(kind, text, url, phone_number, example, otp_type, supported_apps)| Button {
                        kind,
                        text,
                        url,
                        phone_number,
                        example,
                        otp_type,
                        supported_apps,
                    },
                )
        }

        fn language() -> impl Strategy<Value = Language> {
            let body = (proptest::option::of(text()), examples(), any::<bool>()).prop_map(
                |(text, example, add_security_recommendation)| Body {
                    text,
                    example,
                    add_security_recommendation,
                },
            );
            (
                proptest::option::of(header()),
                body,
                proptest::option::of(text()),
                proptest::option::of(0u32..3),
                proptest::collection::vec(button(), 0..3),
            )
                .prop_map(
                    |(header, body, footer, code_expiration_minutes, buttons)| Language {
                        header,
                        body,
                        footer,
                        code_expiration_minutes,
                        buttons,
                    },
                )
        }

        fn format() -> impl Strategy<Value = ParameterFormat> {
            select(&[ParameterFormat::Positional, ParameterFormat::Named][..])
        }

        /// Change the `n`-th node of `value` (in document order) by `how`; `n` wraps around.
        fn mutate(value: &mut Value, n: usize, how: u8) {
            fn count(v: &Value) -> usize {
                1 + match v {
                    Value::Array(items) => items.iter().map(count).sum(),
                    Value::Object(map) => map.values().map(count).sum(),
                    _ => 0,
                }
            }
            fn nth<'v>(v: &'v mut Value, n: &mut usize) -> Option<&'v mut Value> {
                if *n == 0 {
                    return Some(v);
                }
                *n -= 1;
                match v {
                    Value::Array(items) => items.iter_mut().find_map(|i| nth(i, n)),
                    Value::Object(map) => map.values_mut().find_map(|i| nth(i, n)),
                    _ => None,
                }
            }
            let mut at = n % count(value);
            let Some(node) = nth(value, &mut at) else {
                return;
            };
            match (how % 7, &mut *node) {
                (0, _) => *node = Value::Null,
                (1, Value::String(s)) => s.push('a'),
                (1, Value::Number(_)) => *node = json!(1.0),
                (2, Value::Object(map)) => {
                    map.insert("extra".into(), json!("a"));
                }
                (3, Value::Object(map)) => {
                    let first = map.keys().next().cloned();
                    if let Some(key) = first {
                        map.shift_remove(&key);
                    }
                }
                (4, Value::Object(map)) => {
                    // The same members in another order: still equal.
                    let reversed: Map<String, Value> =
                        std::mem::take(map).into_iter().rev().collect();
                    *map = reversed;
                }
                (5, Value::Array(items)) => items.push(json!("a")),
                (6, Value::Array(items)) => {
                    items.pop();
                }
                _ => *node = json!([node.clone()]),
            }
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(3_000))]

            #[test]
            fn comparing_without_building_agrees_with_building(
                a in language(),
                fa in format(),
                b in language(),
                fb in format(),
                n in any::<usize>(),
                how in any::<u8>(),
            ) {
                let built = components(&a, fa);
                prop_assert!(components_eq(&a, fa, &built));
                let mut other = components(&b, fb);
                prop_assert_eq!(components_eq(&a, fa, &other), built == other);
                mutate(&mut other, n, how);
                prop_assert_eq!(components_eq(&a, fa, &other), built == other);
                let mut own = built.clone();
                mutate(&mut own, n, how);
                prop_assert_eq!(components_eq(&a, fa, &own), built == own);
                // Drift's comparison, in order or not (a mutation may reorder or drop keys).
                for (x, y) in [(&built, &other), (&built, &own), (&own, &built)] {
                    prop_assert_eq!(comparable_eq(x, y), comparable(x) == comparable(y));
                }
            }
        }
    }
}
