//! Placeholders in template text: `{{1}}` (positional) or `{{first_name}}` (named), found with
//! their byte positions so the rules can say where each one is and whether it sits at the
//! very start or end of a text.

/// One `{{…}}` in a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placeholder<'a> {
    /// What is between the braces, trimmed.
    pub name: &'a str,
    pub start: usize,
    pub end: usize,
}

impl Placeholder<'_> {
    pub fn is_positional(&self) -> bool {
        !self.name.is_empty() && self.name.bytes().all(|b| b.is_ascii_digit())
    }

    /// Meta's rule for a named placeholder: lowercase letters, digits and `_`, a letter first.
    pub fn is_valid_name(&self) -> bool {
        let mut chars = self.name.chars();
        chars.next().is_some_and(|c| c.is_ascii_lowercase())
            && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    }
}

/// Every `{{…}}` of `text`, in order.
pub fn find(text: &str) -> Vec<Placeholder<'_>> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(open) = text[from..].find("{{") {
        let start = from + open;
        let Some(close) = text[start + 2..].find("}}") else {
            break;
        };
        let end = start + 2 + close + 2;
        out.push(Placeholder {
            name: text[start + 2..end - 2].trim(),
            start,
            end,
        });
        from = end;
    }
    out
}

/// Whether a placeholder is the first or last thing of the text (spaces and punctuation
/// around it do not count: Meta looks at what the reader sees).
pub fn at_edge(text: &str, p: &Placeholder<'_>) -> bool {
    let meaningful = |s: &str| s.chars().any(char::is_alphanumeric);
    !meaningful(&text[..p.start]) || !meaningful(&text[p.end..])
}

/// Words of `text` outside its placeholders.
pub fn words_outside(text: &str, found: &[Placeholder<'_>]) -> usize {
    let mut rest = String::with_capacity(text.len());
    let mut at = 0;
    for p in found {
        rest.push_str(&text[at..p.start]);
        rest.push(' ');
        at = p.end;
    }
    rest.push_str(&text[at..]);
    rest.split_whitespace()
        .filter(|w| w.chars().any(char::is_alphanumeric))
        .count()
}

/// The fewest words of text (outside placeholders) a body with `count` placeholders needs
/// before Meta refuses it with subcode 2388293: two per placeholder, each occurrence counted,
/// plus one. Meta publishes no number; this is the ratio vendors report from Meta's answers
/// (Syniverse's and Maqsam's support articles: 3 × placeholders + 1 words and placeholders
/// together, i.e. 2 × placeholders + 1 words). The simulator applies the same rule
/// (`sim/src/templates/rules.rs`). A body without placeholders needs none.
pub fn words_needed(count: usize) -> usize {
    if count == 0 { 0 } else { 2 * count + 1 }
}

/// The positional numbers expected but missing (`{{1}}`, `{{3}}` → 2), or the first number
/// that is not one of 1..=n.
pub fn gaps(found: &[Placeholder<'_>]) -> Vec<u32> {
    let mut numbers: Vec<u32> = found.iter().filter_map(|p| p.name.parse().ok()).collect();
    numbers.sort_unstable();
    numbers.dedup();
    let Some(&max) = numbers.last() else {
        return Vec::new();
    };
    (1..=max)
        .filter(|n| numbers.binary_search(n).is_err())
        .collect()
}

/// Distinct placeholder names in first-seen order.
pub fn distinct<'a>(found: &[Placeholder<'a>]) -> Vec<&'a str> {
    let mut out: Vec<&str> = Vec::new();
    for p in found {
        if !out.contains(&p.name) {
            out.push(p.name);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_placeholders_with_positions() {
        let t = "Hi {{1}}, order {{ 2 }} ships {{when}}.";
        let found = find(t);
        let names: Vec<&str> = found.iter().map(|p| p.name).collect();
        assert_eq!(names, ["1", "2", "when"]);
        assert_eq!(&t[found[0].start..found[0].end], "{{1}}");
        assert!(found[0].is_positional() && !found[2].is_positional());
        assert!(found[2].is_valid_name());
        assert!(find("no {{ end").is_empty());
    }

    #[test]
    fn edges_ignore_punctuation_but_not_words() {
        let t = "{{1}}, welcome";
        assert!(at_edge(t, &find(t)[0]));
        let t = "Welcome {{1}}!";
        assert!(at_edge(t, &find(t)[0]));
        let t = "Welcome {{1}} to us";
        assert!(!at_edge(t, &find(t)[0]));
    }

    #[test]
    fn gaps_and_words() {
        assert_eq!(gaps(&find("a {{1}} b {{3}} c")), [2]);
        assert_eq!(gaps(&find("a {{2}} b")), [1]);
        assert!(gaps(&find("a {{1}} b {{2}} {{1}}")).is_empty());
        let t = "Hi {{1}}, your order {{2}} ships today.";
        assert_eq!(words_outside(t, &find(t)), 5);
    }

    #[test]
    fn words_needed_counts_every_occurrence_plus_one() {
        assert_eq!(words_needed(0), 0);
        assert_eq!(words_needed(1), 3);
        assert_eq!(words_needed(2), 5);
        // A repeated placeholder counts twice.
        assert_eq!(words_needed(find("a {{1}} b {{1}} c").len()), 5);
    }

    #[test]
    fn named_placeholder_rule() {
        let ok = |s: &str| find(s)[0].is_valid_name();
        assert!(ok("{{first_name}}"));
        assert!(!ok("{{FirstName}}"));
        assert!(!ok("{{1abc}}"));
        assert!(!ok("{{}}"));
    }
}
