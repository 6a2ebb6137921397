//! Escaping text for HTML and SVG, in element content and in attribute values alike.

/// `s` with `&`, `<`, `>`, `"` and `'` replaced by character references (and control
/// characters other than newline and tab dropped: XML forbids them).
pub fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\n' | '\t' => out.push(c),
            c if (c as u32) < 0x20 => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(xml("g2 parse<&>\"'"), "g2 parse&lt;&amp;&gt;&quot;&#39;");
        assert_eq!(xml("a\u{1}b\nc"), "ab\nc");
    }
}
