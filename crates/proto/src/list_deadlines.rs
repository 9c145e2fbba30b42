//! `ListDeadlinesResponse`, written by hand so a server can send deadlines it encoded
//! before (one encoding per version of a record) beside ones it builds now.

use prost::bytes::{Buf, BufMut, Bytes};
use prost::encoding::{self, DecodeContext, WireType};

use crate::v1::Deadline;

/// `advocacy.v1.ListDeadlinesResponse`.
#[derive(Clone, Default, PartialEq, Debug)]
pub struct ListDeadlinesResponse {
    pub deadlines: Vec<Deadline>,
    pub next_page_token: String,
    /// Deadlines already encoded as `Deadline` messages, sent before `deadlines`. Only a
    /// server fills it; decoding puts every deadline in `deadlines`.
    pub encoded: Vec<Bytes>,
}

impl prost::Message for ListDeadlinesResponse {
    fn encode_raw(&self, buf: &mut impl BufMut) {
        encoding::bytes::encode_repeated(1, &self.encoded, buf);
        encoding::message::encode_repeated(1, &self.deadlines, buf);
        if !self.next_page_token.is_empty() {
            encoding::string::encode(2, &self.next_page_token, buf);
        }
    }

    fn merge_field(
        &mut self,
        tag: u32,
        wire_type: WireType,
        buf: &mut impl Buf,
        ctx: DecodeContext,
    ) -> Result<(), prost::DecodeError> {
        match tag {
            1 => encoding::message::merge_repeated(wire_type, &mut self.deadlines, buf, ctx),
            2 => encoding::string::merge(wire_type, &mut self.next_page_token, buf, ctx),
            _ => encoding::skip_field(wire_type, tag, buf, ctx),
        }
    }

    fn encoded_len(&self) -> usize {
        let token =
            if self.next_page_token.is_empty() { 0 } else { encoding::string::encoded_len(2, &self.next_page_token) };
        encoding::bytes::encoded_len_repeated(1, &self.encoded)
            + encoding::message::encoded_len_repeated(1, &self.deadlines)
            + token
    }

    fn clear(&mut self) {
        self.deadlines.clear();
        self.next_page_token.clear();
        self.encoded.clear();
    }
}

#[cfg(test)]
mod tests {
    use prost::Message;

    use super::*;
    use crate::v1::Stamp;

    fn deadline(n: u32) -> Deadline {
        Deadline {
            id: format!("id-{n}"),
            version: 3,
            title: format!("Überprüfung 심사 {n}"),
            owners: vec!["ana@advocacy.example".into(), "min@advocacy.example".into()],
            lead_minutes: vec![10_080, 1_440],
            stamp: Some(Stamp { created_by: "ana@advocacy.example".into(), ..Default::default() }),
            revision: 42,
            ..Default::default()
        }
    }

    #[test]
    fn deadlines_sent_encoded_are_the_bytes_of_deadlines_sent_built() {
        let deadlines: Vec<Deadline> = (1..=3).map(deadline).collect();
        let built =
            ListDeadlinesResponse { deadlines: deadlines.clone(), next_page_token: "next".into(), encoded: Vec::new() };
        let encoded = ListDeadlinesResponse {
            deadlines: Vec::new(),
            next_page_token: "next".into(),
            encoded: deadlines.iter().map(|d| Bytes::from(d.encode_to_vec())).collect(),
        };
        assert_eq!(encoded.encode_to_vec(), built.encode_to_vec(), "the same bytes on the wire");
        assert_eq!(encoded.encoded_len(), built.encoded_len());
        let decoded = ListDeadlinesResponse::decode(encoded.encode_to_vec().as_slice()).expect("decodes");
        assert_eq!(decoded, built, "a client reads every deadline into `deadlines`");
        assert_eq!(ListDeadlinesResponse::decode(&[][..]).expect("empty"), ListDeadlinesResponse::default());
    }

    #[test]
    fn the_message_in_the_proto_has_exactly_these_fields() {
        use prost_types::field_descriptor_proto::{Label, Type};
        let set = prost_types::FileDescriptorSet::decode(crate::FILE_DESCRIPTOR_SET).expect("descriptors");
        let message = set
            .file
            .iter()
            .filter(|f| f.package() == "advocacy.v1")
            .flat_map(|f| &f.message_type)
            .find(|m| m.name() == "ListDeadlinesResponse")
            .expect("in the proto");
        let fields: Vec<(i32, &str, Label, Type, &str)> =
            message.field.iter().map(|f| (f.number(), f.name(), f.label(), f.r#type(), f.type_name())).collect();
        assert_eq!(
            fields,
            [
                (1, "deadlines", Label::Repeated, Type::Message, ".advocacy.v1.Deadline"),
                (2, "next_page_token", Label::Optional, Type::String, ""),
            ],
            "a field added to the proto must be added to this hand-written message too"
        );
    }

    #[test]
    fn unknown_fields_are_skipped() {
        let mut bytes = ListDeadlinesResponse { deadlines: vec![deadline(1)], ..Default::default() }.encode_to_vec();
        prost::encoding::string::encode(9, &"from a newer server".to_owned(), &mut bytes);
        let decoded = ListDeadlinesResponse::decode(bytes.as_slice()).expect("decodes");
        assert_eq!(decoded.deadlines, vec![deadline(1)]);
    }
}
