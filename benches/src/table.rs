//! Plain-text tables: one per workload, runtimes as rows, plus the ratio-to-gpm column.

/// A titled table of right-aligned cells (the first column is left-aligned).
pub struct Table {
    title: String,
    header: Vec<String>,
    rows: Vec<Vec<String>>,
    notes: Vec<String>,
}

impl Table {
    /// A new table with the given title and column headers.
    pub fn new(title: impl Into<String>, header: &[&str]) -> Self {
        Table {
            title: title.into(),
            header: header.iter().map(|h| h.to_string()).collect(),
            rows: Vec::new(),
            notes: Vec::new(),
        }
    }

    /// Appends a row; missing trailing cells print as blanks.
    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    /// Appends a line printed under the table.
    pub fn note(&mut self, note: impl Into<String>) {
        self.notes.push(note.into());
    }

    /// Renders the table.
    pub fn render(&self) -> String {
        let cols = self
            .header
            .len()
            .max(self.rows.iter().map(Vec::len).max().unwrap_or(0));
        let cell = |r: &[String], c: usize| r.get(c).map_or("", String::as_str).to_string();
        let mut width = vec![0; cols];
        for r in std::iter::once(&self.header).chain(&self.rows) {
            for (c, w) in width.iter_mut().enumerate() {
                *w = (*w).max(cell(r, c).chars().count());
            }
        }
        let line = |r: &[String]| {
            let mut s = String::new();
            for (c, w) in width.iter().enumerate() {
                let text = cell(r, c);
                let pad = " ".repeat(w - text.chars().count());
                if c == 0 {
                    s.push_str(&format!("  {text}{pad}"));
                } else {
                    s.push_str(&format!("  {pad}{text}"));
                }
            }
            s.trim_end().to_string()
        };
        let total: usize = width.iter().map(|w| w + 2).sum();
        let mut out = format!("\n== {} ==\n", self.title);
        out.push_str(&line(&self.header));
        out.push('\n');
        out.push_str(&format!("  {}\n", "-".repeat(total.saturating_sub(2))));
        for r in &self.rows {
            out.push_str(&line(r));
            out.push('\n');
        }
        for n in &self.notes {
            out.push_str(&format!("  {n}\n"));
        }
        out
    }
}

/// The ratio cell for `name` relative to gpm: `"tokio/gpm = 1.80x"`, `"baseline"` for
/// gpm itself, `"-"` when either figure is missing. Figures are "lower is better", so a
/// ratio above 1 means gpm is faster (or smaller).
pub fn ratio(name: &str, value: f64, gpm: Option<f64>) -> String {
    if name == "gpm" {
        return "baseline".to_string();
    }
    match gpm {
        Some(g) if g > 0.0 && value.is_finite() && g.is_finite() => {
            format!("{name}/gpm = {:.2}x", value / g)
        }
        _ => "-".to_string(),
    }
}
