//! Multilateral bodies: the actors that count beside governments in impact figures, and
//! the seats whose clocks fix deadlines.

use crate::BodyKind::{self, *};

/// (code, name, kind, seat city, IANA zone of the seat).
pub(crate) const BODIES: &[(&str, &str, BodyKind, &str, &str)] = &[
    ("UN-HRC", "UN Human Rights Council", UnitedNations, "Geneva", "Europe/Zurich"),
    ("UN-OHCHR", "Office of the UN High Commissioner for Human Rights", UnitedNations, "Geneva", "Europe/Zurich"),
    ("UN-GA", "UN General Assembly", UnitedNations, "New York", "America/New_York"),
    ("UN-GA3", "UN General Assembly Third Committee", UnitedNations, "New York", "America/New_York"),
    ("UN-SC", "UN Security Council", UnitedNations, "New York", "America/New_York"),
    ("UN-SG", "UN Secretary-General", UnitedNations, "New York", "America/New_York"),
    ("UNHCR", "UN High Commissioner for Refugees", UnitedNations, "Geneva", "Europe/Zurich"),
    ("UNICEF", "UN Children's Fund", UnitedNations, "New York", "America/New_York"),
    ("UNODC", "UN Office on Drugs and Crime", UnitedNations, "Vienna", "Europe/Vienna"),
    ("ILO", "International Labour Organization", UnitedNations, "Geneva", "Europe/Zurich"),
    ("IOM", "International Organization for Migration", UnitedNations, "Geneva", "Europe/Zurich"),
    ("OHCHR-SEOUL", "OHCHR Seoul Office", UnitedNations, "Seoul", "Asia/Seoul"),
    ("EU-EEAS", "European External Action Service", EuropeanUnion, "Brussels", "Europe/Brussels"),
    ("EU-EC", "European Commission", EuropeanUnion, "Brussels", "Europe/Brussels"),
    ("EU-COUNCIL", "Council of the European Union", EuropeanUnion, "Brussels", "Europe/Brussels"),
    ("EU-EP", "European Parliament", EuropeanUnion, "Brussels", "Europe/Brussels"),
    ("EU-EP-DROI", "European Parliament Subcommittee on Human Rights", EuropeanUnion, "Brussels", "Europe/Brussels"),
    ("COE", "Council of Europe", Regional, "Strasbourg", "Europe/Paris"),
    ("OSCE-ODIHR", "OSCE Office for Democratic Institutions and Human Rights", Regional, "Warsaw", "Europe/Warsaw"),
    ("ASEAN-AICHR", "ASEAN Intergovernmental Commission on Human Rights", Regional, "Jakarta", "Asia/Jakarta"),
    ("AU-ACHPR", "African Commission on Human and Peoples' Rights", Regional, "Banjul", "Africa/Banjul"),
    ("OAS-IACHR", "Inter-American Commission on Human Rights", Regional, "Washington", "America/New_York"),
    ("ICC", "International Criminal Court", Court, "The Hague", "Europe/Amsterdam"),
    ("G7", "Group of Seven", Forum, "", "UTC"),
];
