//! The one attribute diff every kind uses: which of a kind's attributes differ between two
//! attribute maps, in the kind's own order (the order reviewers read in reasons such as
//! "sender_number, marketing_actions changed").

use crate::model::Attributes;

/// Names in `order` whose values differ between `before` and `after` (a missing attribute is
/// `null`).
pub fn changed<'o>(before: &Attributes, after: &Attributes, order: &[&'o str]) -> Vec<&'o str> {
    let null = serde_json::Value::Null;
    order
        .iter()
        .copied()
        .filter(|k| before.get(*k).unwrap_or(&null) != after.get(*k).unwrap_or(&null))
        .collect()
}

/// `a, b, c` for reasons.
pub fn list(fields: &[&str]) -> String {
    fields.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reports_changed_attributes_in_the_given_order_and_treats_missing_as_null() {
        let before: Attributes = [("a", json!(1)), ("b", json!("x")), ("c", json!(null))]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect();
        let after: Attributes = [("a", json!(2)), ("b", json!("x"))]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect();
        assert_eq!(changed(&before, &after, &["c", "b", "a"]), vec!["a"]);
        assert_eq!(changed(&after, &before, &["b", "a"]), vec!["a"]);
        assert!(changed(&before, &before, &["a", "b", "c"]).is_empty());
    }
}
