//! The one way a proto enum and a domain enum are converted: both directions written from
//! one list of variants, which carry the same names on both sides. From the wire, an
//! unspecified value is "required" and an unknown number is named, each a violation of
//! the field; to the wire, every domain variant must be listed (the compiler checks).

/// `enum_mapping!(kind_of, kind_to_proto, pb::DeadlineKind, Kind, "a deadline kind", [A, B])`
/// defines `fn kind_of(field: &str, value: i32) -> Result<Kind, FieldViolation>` and
/// `fn kind_to_proto(value: Kind) -> pb::DeadlineKind`; a visibility may come first
/// (`enum_mapping!(pub(super) kind_of, ...)`).
#[macro_export]
macro_rules! enum_mapping {
    ($vis:vis $from:ident, $to:ident, $proto:path, $domain:path, $what:literal, [$($variant:ident),+ $(,)?]) => {
        /// The domain value of a proto enum field, or a violation naming the field.
        $vis fn $from(field: &str, value: i32) -> Result<$domain, $crate::FieldViolation> {
            use $proto as Proto;
            use $domain as Domain;
            match Proto::try_from(value) {
                $(Ok(Proto::$variant) => Ok(Domain::$variant),)+
                // What is left is the unspecified zero value.
                Ok(_) => Err($crate::FieldViolation::new(field, "is required")),
                Err(_) => Err($crate::FieldViolation::new(field, format!("{value} is not {}", $what))),
            }
        }

        $vis fn $to(value: $domain) -> $proto {
            use $proto as Proto;
            use $domain as Domain;
            match value {
                $(Domain::$variant => Proto::$variant,)+
            }
        }
    };
}
