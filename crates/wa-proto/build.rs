//! Compiles `../../proto/*.proto` with `protox` (pure Rust; no `protoc` on the machines)
//! and generates prost code into OUT_DIR.

use std::path::PathBuf;

const FILES: &[&str] = &[
    "common.proto",
    "e2e.proto",
    "wa6.proto",
    "cert.proto",
    "adv.proto",
    "companion_reg.proto",
    "signal_wire.proto",
    "signal_records.proto",
    "sender_key_records.proto",
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let proto_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../proto");
    println!("cargo:rerun-if-changed={}", proto_dir.display());
    for file in FILES {
        println!("cargo:rerun-if-changed={}", proto_dir.join(file).display());
    }
    let descriptors = protox::compile(FILES, [&proto_dir])?;
    prost_build::Config::new().compile_fds(descriptors)?;
    Ok(())
}
