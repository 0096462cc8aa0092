//! A small reader for the part of EDN that Jepsen histories use: `nil`, booleans, integers,
//! strings, keywords, symbols, vectors, lists, sets, maps and tagged values (`#tag value`, read
//! as the value). Commas are whitespace, `;` starts a comment.

/// A parsed EDN value. Maps keep their entries in file order.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Edn {
    Nil,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Keyword(String),
    Symbol(String),
    Seq(Vec<Edn>),
    Map(Vec<(Edn, Edn)>),
}

impl Edn {
    /// The value under keyword `:name` in a map.
    pub(crate) fn get(&self, name: &str) -> Option<&Edn> {
        match self {
            Edn::Map(entries) => entries
                .iter()
                .find(|(k, _)| matches!(k, Edn::Keyword(kw) if kw == name))
                .map(|(_, v)| v),
            _ => None,
        }
    }
}

/// Reads exactly one EDN value from `text` (surrounding whitespace allowed).
pub(crate) fn parse_one(text: &str) -> Result<Edn, String> {
    let mut r = Reader {
        s: text.as_bytes(),
        text,
        pos: 0,
    };
    let v = r.value()?;
    r.skip_ws();
    if r.pos < r.s.len() {
        return Err(format!(
            "unexpected `{}` after the value",
            r.text[r.pos..].chars().take(20).collect::<String>()
        ));
    }
    Ok(v)
}

struct Reader<'a> {
    s: &'a [u8],
    text: &'a str,
    pos: usize,
}

impl Reader<'_> {
    fn skip_ws(&mut self) {
        while let Some(&c) = self.s.get(self.pos) {
            if c.is_ascii_whitespace() || c == b',' {
                self.pos += 1;
            } else if c == b';' {
                while self.pos < self.s.len() && self.s[self.pos] != b'\n' {
                    self.pos += 1;
                }
            } else {
                break;
            }
        }
    }

    fn value(&mut self) -> Result<Edn, String> {
        self.skip_ws();
        let Some(&c) = self.s.get(self.pos) else {
            return Err("unexpected end of line".into());
        };
        match c {
            b'{' => {
                self.pos += 1;
                let items = self.seq_until(b'}')?;
                if items.len() % 2 != 0 {
                    return Err("a map needs an even number of forms".into());
                }
                let mut entries = Vec::with_capacity(items.len() / 2);
                let mut it = items.into_iter();
                while let (Some(k), Some(v)) = (it.next(), it.next()) {
                    entries.push((k, v));
                }
                Ok(Edn::Map(entries))
            }
            b'[' => {
                self.pos += 1;
                Ok(Edn::Seq(self.seq_until(b']')?))
            }
            b'(' => {
                self.pos += 1;
                Ok(Edn::Seq(self.seq_until(b')')?))
            }
            b'#' => {
                self.pos += 1;
                match self.s.get(self.pos) {
                    Some(b'{') => {
                        self.pos += 1;
                        Ok(Edn::Seq(self.seq_until(b'}')?))
                    }
                    Some(b'_') => {
                        // Discard the next form.
                        self.pos += 1;
                        self.value()?;
                        self.value()
                    }
                    _ => {
                        // A tagged value such as `#jepsen.history.Op{...}`: keep the value.
                        let tag = self.token();
                        if tag.is_empty() {
                            return Err("`#` must start a tag, a set or a discard".into());
                        }
                        self.value()
                    }
                }
            }
            b'"' => self.string(),
            b'}' | b']' | b')' => Err(format!("unexpected `{}`", c as char)),
            _ => {
                let tok = self.token();
                if tok.is_empty() {
                    return Err(format!("unexpected character `{}`", c as char));
                }
                atom(tok)
            }
        }
    }

    fn seq_until(&mut self, close: u8) -> Result<Vec<Edn>, String> {
        let mut items = Vec::new();
        loop {
            self.skip_ws();
            match self.s.get(self.pos) {
                None => return Err(format!("missing closing `{}`", close as char)),
                Some(&c) if c == close => {
                    self.pos += 1;
                    return Ok(items);
                }
                Some(_) => items.push(self.value()?),
            }
        }
    }

    fn token(&mut self) -> &str {
        let start = self.pos;
        while let Some(&c) = self.s.get(self.pos) {
            if c.is_ascii_whitespace() || b",;{}[]()\"".contains(&c) {
                break;
            }
            self.pos += 1;
        }
        &self.text[start..self.pos]
    }

    fn string(&mut self) -> Result<Edn, String> {
        self.pos += 1; // the opening quote
        let mut out = String::new();
        let mut chars = self.text[self.pos..].char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '"' => {
                    self.pos += i + 1;
                    return Ok(Edn::Str(out));
                }
                '\\' => match chars.next() {
                    Some((_, 'n')) => out.push('\n'),
                    Some((_, 't')) => out.push('\t'),
                    Some((_, 'r')) => out.push('\r'),
                    Some((_, e @ ('"' | '\\'))) => out.push(e),
                    Some((_, e)) => return Err(format!("unknown escape `\\{e}` in a string")),
                    None => break,
                },
                c => out.push(c),
            }
        }
        Err("unterminated string".into())
    }
}

fn atom(tok: &str) -> Result<Edn, String> {
    match tok {
        "nil" => return Ok(Edn::Nil),
        "true" => return Ok(Edn::Bool(true)),
        "false" => return Ok(Edn::Bool(false)),
        _ => {}
    }
    if let Some(kw) = tok.strip_prefix(':') {
        if kw.is_empty() {
            return Err("empty keyword `:`".into());
        }
        return Ok(Edn::Keyword(kw.to_string()));
    }
    let first = tok.as_bytes()[0];
    let numeric = first.is_ascii_digit()
        || (matches!(first, b'-' | b'+') && tok.len() > 1 && tok.as_bytes()[1].is_ascii_digit());
    if numeric {
        let digits = tok.strip_suffix('N').unwrap_or(tok);
        if let Ok(i) = digits.parse::<i64>() {
            return Ok(Edn::Int(i));
        }
        let float = tok.strip_suffix('M').unwrap_or(tok);
        if let Ok(f) = float.parse::<f64>() {
            return Ok(Edn::Float(f));
        }
        return Err(format!("bad number `{tok}`"));
    }
    Ok(Edn::Symbol(tok.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_jepsen_op_map() {
        let m =
            parse_one(r#"{:process 0, :type :invoke, :f :cas, :value [1 2], :key "a"}"#).unwrap();
        assert_eq!(m.get("process"), Some(&Edn::Int(0)));
        assert_eq!(m.get("type"), Some(&Edn::Keyword("invoke".into())));
        assert_eq!(
            m.get("value"),
            Some(&Edn::Seq(vec![Edn::Int(1), Edn::Int(2)]))
        );
        assert_eq!(m.get("key"), Some(&Edn::Str("a".into())));
    }

    #[test]
    fn reads_tags_sets_comments_and_escapes() {
        let m = parse_one("#jepsen.history.Op{:value #{1}, :s \"a\\\"b\"} ; trailing").unwrap();
        assert_eq!(m.get("value"), Some(&Edn::Seq(vec![Edn::Int(1)])));
        assert_eq!(m.get("s"), Some(&Edn::Str("a\"b".into())));
    }

    #[test]
    fn rejects_broken_input() {
        assert!(parse_one("{:a 1").unwrap_err().contains("missing closing"));
        assert!(parse_one("{:a}").unwrap_err().contains("even number"));
        assert!(parse_one("\"abc").unwrap_err().contains("unterminated"));
        assert!(parse_one("1 2").unwrap_err().contains("after the value"));
    }
}
