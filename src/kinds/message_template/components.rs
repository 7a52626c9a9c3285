//! One language of a template in Meta's component shape (`HEADER`, `BODY`, `FOOTER`,
//! `BUTTONS`), the JSON sent on create and edit. Also the comparable form used to see what Meta
//! changed: media examples read back as URLs, not the handles sent, so examples are left out.

use serde_json::{Map, Value, json};

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
            // Replaced by the upload handle when apply uploads the file.
            c.insert(
                "example".into(),
                json!({"header_handle": [format!("file:{}", file.display())]}),
            );
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
            let kept = |m: &Map<String, Value>| m.keys().filter(|k| *k != "example").count();
            kept(x) == kept(y)
                && x.iter()
                    .filter(|(k, _)| k.as_str() != "example")
                    .all(|(k, v)| y.get(k).is_some_and(|w| comparable_eq(v, w)))
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(v, w)| comparable_eq(v, w))
        }
        (x, y) => x == y,
    }
}

#[cfg(test)]
mod tests {
    use super::super::model::{Body, Button, ButtonType, Header};
    use super::*;

    #[test]
    fn positional_components_follow_metas_shape() {
        let lang = Language {
            header: Some(Header {
                format: HeaderFormat::Text,
                text: Some("Order {{1}}".into()),
                example: Examples::List(vec!["#1234".into()]),
                file: None,
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
}
