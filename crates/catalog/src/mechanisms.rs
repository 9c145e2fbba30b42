//! UN mechanisms and national regimes that receive submissions and set deadlines. Each has
//! the body that runs it; deadlines default to the zone of that body's seat.

use crate::MechanismKind::{self, *};

/// (code, name, kind, body code or country code that runs it, IANA zone of its seat).
pub(crate) const MECHANISMS: &[(&str, &str, MechanismKind, &str, &str)] = &[
    ("UPR", "Universal Periodic Review", UniversalPeriodicReview, "UN-HRC", "Europe/Zurich"),
    ("HRC", "Human Rights Council session", HumanRightsCouncil, "UN-HRC", "Europe/Zurich"),
    ("GA3", "General Assembly Third Committee", GeneralAssembly, "UN-GA3", "America/New_York"),
    // Special Procedures: country mandates
    ("SR-DPRK", "Special Rapporteur on the situation of human rights in the DPRK", SpecialProcedure, "UN-OHCHR", "Europe/Zurich"),
    ("SR-MYANMAR", "Special Rapporteur on the situation of human rights in Myanmar", SpecialProcedure, "UN-OHCHR", "Europe/Zurich"),
    ("SR-IRAN", "Special Rapporteur on the situation of human rights in Iran", SpecialProcedure, "UN-OHCHR", "Europe/Zurich"),
    ("SR-BELARUS", "Special Rapporteur on the situation of human rights in Belarus", SpecialProcedure, "UN-OHCHR", "Europe/Zurich"),
    ("SR-AFGHANISTAN", "Special Rapporteur on the situation of human rights in Afghanistan", SpecialProcedure, "UN-OHCHR", "Europe/Zurich"),
    ("SR-ERITREA", "Special Rapporteur on the situation of human rights in Eritrea", SpecialProcedure, "UN-OHCHR", "Europe/Zurich"),
    // Special Procedures: thematic mandates
    ("SR-TORTURE", "Special Rapporteur on torture", SpecialProcedure, "UN-OHCHR", "Europe/Zurich"),
    ("SR-MIGRANTS", "Special Rapporteur on the human rights of migrants", SpecialProcedure, "UN-OHCHR", "Europe/Zurich"),
    ("SR-TRAFFICKING", "Special Rapporteur on trafficking in persons", SpecialProcedure, "UN-OHCHR", "Europe/Zurich"),
    ("SR-SLAVERY", "Special Rapporteur on contemporary forms of slavery", SpecialProcedure, "UN-OHCHR", "Europe/Zurich"),
    ("SR-EXECUTIONS", "Special Rapporteur on extrajudicial, summary or arbitrary executions", SpecialProcedure, "UN-OHCHR", "Europe/Zurich"),
    ("SR-FOOD", "Special Rapporteur on the right to food", SpecialProcedure, "UN-OHCHR", "Europe/Zurich"),
    ("SR-HEALTH", "Special Rapporteur on the right to health", SpecialProcedure, "UN-OHCHR", "Europe/Zurich"),
    ("SR-FREEXPRESSION", "Special Rapporteur on freedom of opinion and expression", SpecialProcedure, "UN-OHCHR", "Europe/Zurich"),
    ("SR-FREEDOM-RELIGION", "Special Rapporteur on freedom of religion or belief", SpecialProcedure, "UN-OHCHR", "Europe/Zurich"),
    ("SR-ASSEMBLY", "Special Rapporteur on freedom of peaceful assembly and of association", SpecialProcedure, "UN-OHCHR", "Europe/Zurich"),
    ("SR-DEFENDERS", "Special Rapporteur on human rights defenders", SpecialProcedure, "UN-OHCHR", "Europe/Zurich"),
    ("SR-VAW", "Special Rapporteur on violence against women and girls", SpecialProcedure, "UN-OHCHR", "Europe/Zurich"),
    ("SR-SALE-CHILDREN", "Special Rapporteur on the sale and sexual exploitation of children", SpecialProcedure, "UN-OHCHR", "Europe/Zurich"),
    ("SR-TRUTH", "Special Rapporteur on truth, justice, reparation and guarantees of non-recurrence", SpecialProcedure, "UN-OHCHR", "Europe/Zurich"),
    ("SR-JUDGES", "Special Rapporteur on the independence of judges and lawyers", SpecialProcedure, "UN-OHCHR", "Europe/Zurich"),
    ("SR-COUNTERTERRORISM", "Special Rapporteur on human rights while countering terrorism", SpecialProcedure, "UN-OHCHR", "Europe/Zurich"),
    ("SR-DISABILITY", "Special Rapporteur on the rights of persons with disabilities", SpecialProcedure, "UN-OHCHR", "Europe/Zurich"),
    ("SR-POVERTY", "Special Rapporteur on extreme poverty and human rights", SpecialProcedure, "UN-OHCHR", "Europe/Zurich"),
    ("WGAD", "Working Group on Arbitrary Detention", SpecialProcedure, "UN-OHCHR", "Europe/Zurich"),
    ("WGEID", "Working Group on Enforced or Involuntary Disappearances", SpecialProcedure, "UN-OHCHR", "Europe/Zurich"),
    ("WG-BUSINESS", "Working Group on business and human rights", SpecialProcedure, "UN-OHCHR", "Europe/Zurich"),
    // Treaty bodies
    ("CAT", "Committee against Torture", TreatyBody, "UN-OHCHR", "Europe/Zurich"),
    ("CCPR", "Human Rights Committee", TreatyBody, "UN-OHCHR", "Europe/Zurich"),
    ("CESCR", "Committee on Economic, Social and Cultural Rights", TreatyBody, "UN-OHCHR", "Europe/Zurich"),
    ("CEDAW", "Committee on the Elimination of Discrimination against Women", TreatyBody, "UN-OHCHR", "Europe/Zurich"),
    ("CERD", "Committee on the Elimination of Racial Discrimination", TreatyBody, "UN-OHCHR", "Europe/Zurich"),
    ("CRC", "Committee on the Rights of the Child", TreatyBody, "UN-OHCHR", "Europe/Zurich"),
    ("CRPD", "Committee on the Rights of Persons with Disabilities", TreatyBody, "UN-OHCHR", "Europe/Zurich"),
    ("CMW", "Committee on Migrant Workers", TreatyBody, "UN-OHCHR", "Europe/Zurich"),
    ("CED", "Committee on Enforced Disappearances", TreatyBody, "UN-OHCHR", "Europe/Zurich"),
    ("SPT", "Subcommittee on Prevention of Torture", TreatyBody, "UN-OHCHR", "Europe/Zurich"),
    // Commissions of inquiry and other UN processes
    ("COI", "Commission of Inquiry mandated by the Human Rights Council", InquiryBody, "UN-HRC", "Europe/Zurich"),
    ("UN-SC", "UN Security Council", SecurityCouncil, "UN-SC", "America/New_York"),
    // National targeted-sanctions regimes
    ("SANCTIONS-US", "United States Global Magnitsky and related sanctions", SanctionsRegime, "US", "America/New_York"),
    ("SANCTIONS-EU", "EU Global Human Rights Sanctions Regime", SanctionsRegime, "EU-COUNCIL", "Europe/Brussels"),
    ("SANCTIONS-UK", "UK Global Human Rights sanctions", SanctionsRegime, "GB", "Europe/London"),
    ("SANCTIONS-CA", "Canada Justice for Victims of Corrupt Foreign Officials Act", SanctionsRegime, "CA", "America/Toronto"),
    ("SANCTIONS-AU", "Australia Autonomous Sanctions (thematic human rights)", SanctionsRegime, "AU", "Australia/Sydney"),
    // Parliaments
    ("EU-EP", "European Parliament resolutions", Parliament, "EU-EP", "Europe/Brussels"),
    ("NATIONAL-PARLIAMENT", "A national parliament motion or hearing", Parliament, "", "UTC"),
    ("OTHER", "Other", Other, "", "UTC"),
];
