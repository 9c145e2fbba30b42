//! Output for people (aligned tables) and for scripts (`--json`).

use serde_json::{Map, Value};

#[derive(Debug)]
pub struct Table {
    headers: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    pub fn new(headers: &[&str]) -> Table {
        Table { headers: headers.iter().map(|h| (*h).to_owned()).collect(), rows: Vec::new() }
    }

    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    pub fn print(&self) {
        let mut widths: Vec<usize> = self.headers.iter().map(|h| h.chars().count()).collect();
        for row in &self.rows {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(cell.chars().count());
            }
        }
        let line = |cells: &[String]| {
            let padded: Vec<String> = cells.iter().zip(&widths).map(|(c, w)| format!("{c:<w$}")).collect();
            println!("{}", padded.join("  ").trim_end());
        };
        line(&self.headers);
        for row in &self.rows {
            line(row);
        }
    }

    /// One JSON object per row, keyed by lower-case header.
    pub fn print_json(&self) {
        let rows: Vec<Value> = self
            .rows
            .iter()
            .map(|row| {
                let object: Map<String, Value> =
                    self.headers.iter().zip(row).map(|(h, c)| (h.to_lowercase(), Value::String(c.clone()))).collect();
                Value::Object(object)
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&rows).unwrap_or_default());
    }
}

/// One record: pretty JSON, or one aligned `key value` line per field for people
/// (empty values left out).
pub fn print_record(value: &Value, json: bool) {
    if json {
        println!("{}", serde_json::to_string_pretty(value).unwrap_or_default());
        return;
    }
    if let Value::Object(fields) = value {
        let width = fields.keys().map(|k| k.len()).max().unwrap_or(0);
        for (key, value) in fields {
            let text = match value {
                Value::String(s) => s.clone(),
                Value::Null => continue,
                other => other.to_string(),
            };
            println!("{key:<width$}  {text}");
        }
    }
}

/// A progress bar on standard error, drawn only when a person is watching.
#[derive(Debug)]
pub struct Progress {
    label: &'static str,
    total: usize,
    done: usize,
    visible: bool,
}

impl Progress {
    pub fn new(label: &'static str, total: usize) -> Progress {
        use std::io::IsTerminal;
        Progress { label, total: total.max(1), done: 0, visible: std::io::stderr().is_terminal() }
    }

    pub fn advance(&mut self, by: usize) {
        let before = self.done * 50 / self.total;
        self.done = (self.done + by).min(self.total);
        if self.visible && (self.done * 50 / self.total != before || self.done == self.total) {
            let filled = self.done * 30 / self.total;
            eprint!(
                "\r{} [{}{}] {}/{}",
                self.label,
                "#".repeat(filled),
                " ".repeat(30 - filled),
                self.done,
                self.total
            );
        }
    }

    pub fn done_all(&self) -> bool {
        self.done == self.total
    }

    pub fn finish(&self) {
        if self.visible {
            eprintln!();
        }
    }
}
