//! The languages the product speaks (English and Korean), and how each writes a moment,
//! a day, a span of time and a number: one way for emails and web pages alike.

use chrono::{DateTime, Datelike, Utc};
use chrono_tz::Tz;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Language {
    English,
    Korean,
}

impl Language {
    /// `en` or `ko`; anything else is not a language we write in.
    pub fn parse(code: &str) -> Option<Language> {
        match code.trim().to_ascii_lowercase().as_str() {
            "en" => Some(Language::English),
            "ko" => Some(Language::Korean),
            _ => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Language::English => "en",
            Language::Korean => "ko",
        }
    }
}

const WEEKDAYS_KO: [&str; 7] = ["월", "화", "수", "목", "금", "토", "일"];

/// A moment in a zone, as a person of that language writes it.
pub fn when(at: DateTime<Utc>, zone: Tz, language: Language) -> String {
    let local = at.with_timezone(&zone);
    match language {
        Language::English => format!("{} ({})", local.format("%A %-d %B %Y, %H:%M"), zone.name()),
        Language::Korean => format!(
            "{} ({}) {} ({})",
            local.format("%Y년 %-m월 %-d일"),
            WEEKDAYS_KO[local.weekday().num_days_from_monday() as usize],
            local.format("%H:%M"),
            zone.name()
        ),
    }
}

pub fn day(at: DateTime<Utc>, zone: Tz, language: Language) -> String {
    let local = at.with_timezone(&zone);
    match language {
        Language::English => local.format("%-d %B %Y").to_string(),
        Language::Korean => local.format("%Y년 %-m월 %-d일").to_string(),
    }
}

/// How long is left (or how long ago), in days and hours, or hours and minutes.
pub fn span(left: chrono::Duration, language: Language) -> String {
    let minutes = left.num_minutes().unsigned_abs();
    let (days, hours, mins) = (minutes / 1440, minutes % 1440 / 60, minutes % 60);
    let parts: Vec<(u64, &str, &str, &str)> = if days > 0 {
        vec![(days, "day", "days", "일"), (hours, "hour", "hours", "시간")]
    } else if hours > 0 {
        vec![(hours, "hour", "hours", "시간"), (mins, "minute", "minutes", "분")]
    } else {
        vec![(mins, "minute", "minutes", "분")]
    };
    let shown: Vec<String> = parts
        .iter()
        .enumerate()
        .filter(|(i, (n, ..))| *i == 0 || *n > 0)
        .map(|(_, (n, one, many, ko))| match language {
            Language::English => format!("{n} {}", if *n == 1 { one } else { many }),
            Language::Korean => format!("{n}{ko}"),
        })
        .collect();
    shown.join(" ")
}

/// A whole number with the language's digit grouping (both group by thousands).
pub fn number(n: i64, _language: Language) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_read_as_people_say_them() {
        use chrono::Duration;
        assert_eq!(span(Duration::days(7), Language::English), "7 days");
        assert_eq!(span(Duration::hours(25), Language::English), "1 day 1 hour");
        assert_eq!(span(Duration::minutes(90), Language::Korean), "1시간 30분");
        assert_eq!(span(Duration::minutes(5), Language::English), "5 minutes");
    }

    #[test]
    fn numbers_are_grouped_by_thousands() {
        assert_eq!(number(1_234_567, Language::Korean), "1,234,567");
        assert_eq!(number(-1_000, Language::English), "-1,000");
        assert_eq!(number(999, Language::English), "999");
    }

    #[test]
    fn times_are_written_in_the_zone_and_language() {
        let at = DateTime::parse_from_rfc3339("2027-03-28T10:00:00Z").expect("valid").with_timezone(&Utc);
        assert_eq!(
            when(at, chrono_tz::Europe::Zurich, Language::English),
            "Sunday 28 March 2027, 12:00 (Europe/Zurich)"
        );
        assert_eq!(when(at, chrono_tz::Asia::Seoul, Language::Korean), "2027년 3월 28일 (일) 19:00 (Asia/Seoul)");
    }
}
