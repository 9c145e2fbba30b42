//! Compiles proto/advocacy/v1 with protox (pure Rust, no system protoc) and writes the
//! file descriptor set beside the generated code, for gRPC reflection.

use std::path::PathBuf;

use prost::Message;

const PROTOS: &[&str] = &[
    "advocacy/v1/common.proto",
    "advocacy/v1/deadlines.proto",
    "advocacy/v1/submissions.proto",
    "advocacy/v1/briefings.proto",
    "advocacy/v1/notifier.proto",
    "advocacy/v1/gateway.proto",
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Read when the script runs, not when it was compiled: checkouts sharing one target
    // directory may share this script's binary, and each must compile its own protos.
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?).join("../../proto");
    println!("cargo:rerun-if-changed={}", root.display());

    let fds = protox::compile(PROTOS, [&root])?;
    let out = PathBuf::from(std::env::var("OUT_DIR")?);
    std::fs::write(out.join("advocacy_descriptor.bin"), fds.encode_to_vec())?;

    tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        // Written by hand, so a server can send deadlines it encoded before (src/list_deadlines.rs).
        .extern_path(".advocacy.v1.ListDeadlinesResponse", "crate::list_deadlines::ListDeadlinesResponse")
        .compile_fds(fds)?;
    Ok(())
}
