//! Charts drawn on the server as SVG: horizontal bars, each a link to the records behind
//! it, with a text alternative, so a chart reads without JavaScript or sight.

use std::fmt::Write;

/// One bar.
#[derive(Debug, Clone)]
pub struct Bar {
    pub label: String,
    pub value: i64,
    /// The shown value (grouped as the language writes numbers).
    pub shown: String,
    pub href: String,
}

const ROW: i64 = 28;
const LABEL_WIDTH: i64 = 210;
const BAR_WIDTH: i64 = 320;

pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A bar chart titled `title`; empty when there is nothing to draw.
pub fn bars(title: &str, bars: &[Bar]) -> String {
    if bars.is_empty() {
        return String::new();
    }
    let most = bars.iter().map(|b| b.value).max().unwrap_or(0).max(1);
    let height = ROW * bars.len() as i64 + 8;
    let width = LABEL_WIDTH + BAR_WIDTH + 90;
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-labelledby="{id}" xmlns="http://www.w3.org/2000/svg"><title id="{id}">{title}</title>"#,
        id = format!("chart-{}", fingerprint(title)),
        title = escape(title),
    );
    for (i, bar) in bars.iter().enumerate() {
        let y = i as i64 * ROW + 4;
        let length = if bar.value > 0 { (bar.value * BAR_WIDTH / most).max(2) } else { 0 };
        let label = shortened(&bar.label, 30);
        let _ = write!(
            svg,
            r#"<a href="{href}"><title>{full}: {shown}</title><text x="{lx}" y="{ty}" text-anchor="end">{label}</text><rect x="{bx}" y="{y}" width="{length}" height="{h}" rx="3"></rect><text x="{vx}" y="{ty}">{shown}</text></a>"#,
            href = escape(&bar.href),
            full = escape(&bar.label),
            label = escape(&label),
            shown = escape(&bar.shown),
            lx = LABEL_WIDTH - 8,
            ty = y + ROW / 2 + 1,
            bx = LABEL_WIDTH,
            h = ROW - 8,
            vx = LABEL_WIDTH + length + 6,
        );
    }
    svg.push_str("</svg>");
    svg
}

fn shortened(text: &str, most: usize) -> String {
    if text.chars().count() <= most {
        text.to_owned()
    } else {
        format!("{}…", text.chars().take(most - 1).collect::<String>())
    }
}

/// A stable id for an element of the page.
fn fingerprint(text: &str) -> String {
    use sha2::Digest;
    hex::encode(&sha2::Sha256::digest(text.as_bytes())[..4])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_scale_to_the_largest_and_escape_their_labels() {
        let bar = |label: &str, value| Bar {
            label: label.into(),
            value,
            shown: value.to_string(),
            href: "/r?a=1&b=2".into(),
        };
        let svg = bars("By <city>", &[bar("<script>x</script>", 10), bar("Geneva", 5)]);
        assert!(svg.contains(r#"width="320""#) && svg.contains(r#"width="160""#), "{svg}");
        assert!(!svg.contains("<script>") && svg.contains("&lt;script&gt;"));
        assert!(svg.contains("/r?a=1&amp;b=2"));
        assert!(bars("none", &[]).is_empty());
    }
}
