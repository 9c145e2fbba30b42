//! The gRPC contracts of every advocacy service, generated from `proto/advocacy/v1`.
//!
//! Services and clients use these types only at their edge (`api` modules convert them to
//! domain types), so there is exactly one copy of each message type in the workspace.

#![allow(missing_debug_implementations, clippy::all)]

pub mod v1 {
    tonic::include_proto!("advocacy.v1");
    pub use crate::list_deadlines::ListDeadlinesResponse;
}

pub mod list_deadlines;

/// The encoded file descriptor set of every advocacy proto file, for gRPC reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] = tonic::include_file_descriptor_set!("advocacy_descriptor");

pub use prost_types::{FieldMask, Timestamp};
