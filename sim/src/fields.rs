//! The `fields=` parameter: a parser for Graph field expansion
//! (`a,b,edge.limit(5){c,d{e}}`) and its inverse, used to write `next` links of nested edges.

/// One requested field, with its modifiers and sub-selection when it is an edge.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Field {
    pub name: String,
    pub limit: Option<usize>,
    pub after: Option<String>,
    pub before: Option<String>,
    /// `Some` when the field has a `{...}` sub-selection.
    pub sub: Option<Vec<Field>>,
}

impl Field {
    pub fn plain(name: &str) -> Field {
        Field {
            name: name.to_string(),
            limit: None,
            after: None,
            before: None,
            sub: None,
        }
    }
}

/// Parses a `fields` value. An empty string yields an empty list (= default fields).
pub fn parse(text: &str) -> Result<Vec<Field>, String> {
    let mut p = Parser {
        s: text.as_bytes(),
        i: 0,
    };
    let list = p.list(0)?;
    p.ws();
    if p.i != p.s.len() {
        return Err(format!(
            "Syntax error \"Expected end of string instead of \"{}\".\" at character {}: {text}",
            p.s[p.i] as char, p.i
        ));
    }
    Ok(list)
}

/// Writes a field list back in the syntax `parse` reads.
pub fn render(fields: &[Field]) -> String {
    fields.iter().map(render_one).collect::<Vec<_>>().join(",")
}

fn render_one(f: &Field) -> String {
    let mut s = f.name.clone();
    if let Some(l) = f.limit {
        s.push_str(&format!(".limit({l})"));
    }
    if let Some(sub) = &f.sub {
        s.push('{');
        s.push_str(&render(sub));
        s.push('}');
    }
    s
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

const MAX_DEPTH: usize = 8;

impl Parser<'_> {
    fn ws(&mut self) {
        while self.i < self.s.len() && self.s[self.i].is_ascii_whitespace() {
            self.i += 1;
        }
    }

    fn peek(&mut self) -> Option<u8> {
        self.ws();
        self.s.get(self.i).copied()
    }

    fn list(&mut self, depth: usize) -> Result<Vec<Field>, String> {
        if depth > MAX_DEPTH {
            return Err("Syntax error: field expansion nested too deeply".into());
        }
        let mut out = Vec::new();
        if matches!(self.peek(), None | Some(b'}')) {
            return Ok(out);
        }
        loop {
            out.push(self.field(depth)?);
            match self.peek() {
                Some(b',') => self.i += 1,
                _ => return Ok(out),
            }
        }
    }

    fn ident(&mut self) -> Result<String, String> {
        self.ws();
        let start = self.i;
        while self.i < self.s.len()
            && (self.s[self.i].is_ascii_alphanumeric() || self.s[self.i] == b'_')
        {
            self.i += 1;
        }
        if start == self.i {
            return Err(format!(
                "Syntax error \"Expected a field name\" at character {}",
                self.i
            ));
        }
        Ok(String::from_utf8_lossy(&self.s[start..self.i]).into_owned())
    }

    fn field(&mut self, depth: usize) -> Result<Field, String> {
        let mut f = Field::plain(&self.ident()?);
        while self.peek() == Some(b'.') {
            self.i += 1;
            let modifier = self.ident()?;
            let arg = self.paren()?;
            match modifier.as_str() {
                "limit" => {
                    f.limit = Some(
                        arg.parse()
                            .map_err(|_| format!("Syntax error: limit({arg}) is not a number"))?,
                    )
                }
                "after" => f.after = Some(arg),
                "before" => f.before = Some(arg),
                other => return Err(format!("Syntax error: unknown modifier .{other}()")),
            }
        }
        if self.peek() == Some(b'{') {
            self.i += 1;
            let sub = self.list(depth + 1)?;
            if self.peek() != Some(b'}') {
                return Err(format!(
                    "Syntax error \"Expected \"}}\"\" at character {}",
                    self.i
                ));
            }
            self.i += 1;
            f.sub = Some(sub);
        }
        Ok(f)
    }

    fn paren(&mut self) -> Result<String, String> {
        if self.peek() != Some(b'(') {
            return Err(format!(
                "Syntax error \"Expected \"(\"\" at character {}",
                self.i
            ));
        }
        self.i += 1;
        let start = self.i;
        while self.i < self.s.len() && self.s[self.i] != b')' {
            self.i += 1;
        }
        if self.i == self.s.len() {
            return Err("Syntax error \"Expected \")\"\"".into());
        }
        let arg = String::from_utf8_lossy(&self.s[start..self.i])
            .trim()
            .to_string();
        self.i += 1;
        Ok(arg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_nested_expansion_with_limits() {
        let f = parse(
            "id, name,owned_whatsapp_business_accounts.limit(2){id,phone_numbers{id,status}}",
        )
        .unwrap();
        assert_eq!(f.len(), 3);
        assert_eq!(f[1].name, "name");
        let edge = &f[2];
        assert_eq!(edge.limit, Some(2));
        let sub = edge.sub.as_ref().unwrap();
        assert_eq!(sub[1].name, "phone_numbers");
        assert_eq!(sub[1].sub.as_ref().unwrap()[1], Field::plain("status"));
    }

    #[test]
    fn render_is_the_inverse_of_parse() {
        let text = "id,phone_numbers.limit(3){id,throughput}";
        assert_eq!(render(&parse(text).unwrap()), text);
    }

    #[test]
    fn rejects_bad_syntax() {
        assert!(parse("id,{x}").is_err());
        assert!(parse("a{b").is_err());
        assert!(parse("a.limit(x)").is_err());
        assert!(parse("a.size(3)").is_err());
        assert!(parse("a}").is_err());
        assert_eq!(parse("").unwrap(), vec![]);
    }
}
