//! When a deadline falls: an instant in UTC plus the IANA zone of the body that set it.
//! People state deadlines as wall-clock times in that zone; the rules for reading those
//! (refusing a time the clocks skip or show twice) are platform's, shared by every service.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use advocacy_platform::FieldViolation;
use advocacy_platform::time::{WhenGiven, local_rfc3339};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Due {
    pub at: DateTime<Utc>,
    pub zone: Tz,
}

impl Due {
    /// The due time as the body states it: "2027-03-28T12:00:00+02:00".
    pub fn local(&self) -> String {
        local_rfc3339(self.at, self.zone)
    }

    /// Checks a due time given in `field`, read in `zone`.
    pub fn parse(field: &str, input: &WhenGiven, zone: Tz) -> Result<Due, FieldViolation> {
        Ok(Due { at: input.resolve(field, zone)?, zone })
    }
}
