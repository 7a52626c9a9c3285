//! What the configuration's JSON Schema says about a place in the file: the order of its
//! keys, and whether its value is a string. `$ref`s are followed and the alternatives of
//! `oneOf`/`anyOf`/`allOf` merged, first listed first.

use serde_json::Value as Json;

use super::Step;

/// The configuration schema, as `wacfg schema` prints it.
const SCHEMA_TEXT: &str = include_str!("../../schemas/wacfg.schema.json");

pub struct Schema {
    root: Json,
}

impl Schema {
    pub fn load() -> Schema {
        // The schema is part of the binary and tested to parse; an empty one orders nothing.
        Schema {
            root: serde_json::from_str(SCHEMA_TEXT).unwrap_or(Json::Null),
        }
    }

    /// The schemas that may apply at `path`.
    fn at(&self, path: &[Step]) -> Vec<&Json> {
        let mut here = self.expand(&self.root);
        for step in path {
            let mut next = Vec::new();
            for schema in here {
                let child = match step {
                    Step::Key(key) => schema
                        .get("properties")
                        .and_then(|p| p.get(key))
                        .or_else(|| {
                            schema
                                .get("patternProperties")
                                .and_then(Json::as_object)
                                .and_then(|p| p.values().next())
                        })
                        .or_else(|| schema.get("additionalProperties").filter(|a| a.is_object())),
                    Step::Index(_) => schema.get("items"),
                };
                if let Some(child) = child {
                    next.extend(self.expand(child));
                }
            }
            here = next;
        }
        here
    }

    /// `schema` with its `$ref` followed and its alternatives listed.
    fn expand<'a>(&'a self, schema: &'a Json) -> Vec<&'a Json> {
        let mut out = Vec::new();
        self.expand_into(schema, &mut out, 0);
        out
    }

    fn expand_into<'a>(&'a self, schema: &'a Json, out: &mut Vec<&'a Json>, depth: usize) {
        if depth > 16 {
            return;
        }
        if let Some(target) = schema
            .get("$ref")
            .and_then(Json::as_str)
            .and_then(|r| r.strip_prefix('#'))
            .and_then(|pointer| self.root.pointer(pointer))
        {
            self.expand_into(target, out, depth + 1);
        }
        out.push(schema);
        for combinator in ["allOf", "oneOf", "anyOf"] {
            if let Some(list) = schema.get(combinator).and_then(Json::as_array) {
                for alternative in list {
                    self.expand_into(alternative, out, depth + 1);
                }
            }
        }
    }

    /// The keys of the mapping at `path`, in the schema's order.
    pub fn key_order(&self, path: &[Step]) -> Vec<String> {
        let mut keys: Vec<String> = Vec::new();
        for schema in self.at(path) {
            if let Some(props) = schema.get("properties").and_then(Json::as_object) {
                for key in props.keys() {
                    if !keys.contains(key) {
                        keys.push(key.clone());
                    }
                }
            }
        }
        keys
    }

    /// Whether the value at `path` must be a string: some schema there says `string` and
    /// none allows a number, a boolean or null.
    pub fn wants_string(&self, path: &[Step]) -> bool {
        let mut string = false;
        for schema in self.at(path) {
            let types: Vec<&str> = match schema.get("type") {
                Some(Json::String(t)) => vec![t.as_str()],
                Some(Json::Array(list)) => list.iter().filter_map(Json::as_str).collect(),
                _ => Vec::new(),
            };
            for t in types {
                match t {
                    "string" => string = true,
                    "number" | "integer" | "boolean" | "null" => return false,
                    _ => {}
                }
            }
            if schema.get("const").is_some_and(|c| !c.is_string()) {
                return false;
            }
        }
        string
    }
}
