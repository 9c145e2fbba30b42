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

    /// Prints the table for a person: columns aligned by display width (a Hangul or Kanji
    /// character takes two columns), long cells wrapped between words to fit the
    /// terminal (`COLUMNS`, else 120) when standard output is one.
    pub fn print(&self) {
        use std::io::IsTerminal;
        let width = std::io::stdout()
            .is_terminal()
            .then(|| std::env::var("COLUMNS").ok().and_then(|c| c.parse().ok()).filter(|w| *w >= 40).unwrap_or(120));
        println!("{}", self.render(width));
    }

    /// The lines [`Table::print`] prints, wrapped to `width` columns if given.
    pub fn render(&self, width: Option<u16>) -> String {
        use comfy_table::{ContentArrangement, presets};
        let mut table = comfy_table::Table::new();
        table.load_style(presets::NOTHING).set_header(&self.headers);
        for row in &self.rows {
            table.add_row(row);
        }
        for column in table.column_iter_mut() {
            column.set_padding((0, 2));
        }
        match width {
            Some(width) => table.set_content_arrangement(ContentArrangement::Dynamic).set_width(width),
            None => table.set_content_arrangement(ContentArrangement::Disabled),
        };
        table.lines().map(|line| line.trim_end().to_owned()).collect::<Vec<_>>().join("\n")
    }

    /// The table as CSV (RFC 4180), headers first: for spreadsheets.
    pub fn print_csv(&self) {
        let mut writer = csv::Writer::from_writer(std::io::stdout());
        let _ = writer.write_record(&self.headers);
        for row in &self.rows {
            let _ = writer.write_record(row);
        }
        let _ = writer.flush();
    }

    /// Prints for a person, as JSON or as CSV.
    pub fn print_as(&self, json: bool, csv: bool) {
        match (json, csv) {
            (true, _) => self.print_json(),
            (_, true) => self.print_csv(),
            _ => self.print(),
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Display columns of `text`: the Hangul and Kanji of this test take two, ASCII one.
    fn columns(text: &str) -> usize {
        let wide = |c: char| ('\u{AC00}'..='\u{D7A3}').contains(&c) || ('\u{4E00}'..='\u{9FFF}').contains(&c);
        text.chars().map(|c| if wide(c) { 2 } else { 1 }).sum()
    }

    #[test]
    fn columns_line_up_after_hangul_and_kanji_titles() {
        let mut table = Table::new(&["TITLE", "DUE"]);
        table.row(vec!["유엔 인권이사회 결의안".into(), "2027-03-29 12:00".into()]);
        table.row(vec!["人権理事会決議".into(), "2027-03-30 12:00".into()]);
        table.row(vec!["UPR report".into(), "2027-04-02 12:00".into()]);
        let text = table.render(None);
        let starts: Vec<usize> = text
            .lines()
            .map(|line| {
                let at = line.find(['D', '2']).expect("the second column");
                columns(&line[..at])
            })
            .collect();
        assert_eq!(starts.len(), 4);
        assert!(starts.windows(2).all(|w| w[0] == w[1]), "{starts:?}\n{text}");
    }

    #[test]
    fn long_titles_wrap_between_words_to_the_width() {
        let mut table = Table::new(&["TITLE", "DUE"]);
        let title = "Situation of human rights in the Democratic People's Republic of Korea, penal system";
        table.row(vec![title.into(), "2027-03-29 12:00".into()]);
        let text = table.render(Some(60));
        assert!(text.lines().all(|line| columns(line) <= 60), "{text}");
        let words: Vec<&str> = text.split_whitespace().collect();
        assert!(words.contains(&"Korea,") && words.contains(&"2027-03-29"), "no word cut in the middle: {text}");
    }
}
