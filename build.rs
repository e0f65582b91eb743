//! Compiles `proto/` into Rust with pure-Rust tooling (no `protoc` needed):
//! `protox` parses the .proto files into a `FileDescriptorSet` (it ships the
//! google/protobuf well-known types), `tonic-prost-build` turns that into
//! prost messages plus tonic clients and servers in `OUT_DIR`.
//!
//! Generated files, included by `src/protocol/pb.rs`:
//!   tfplugin5.rs, tfplugin6.rs, plugin.rs, google.protobuf.rs
//!
//! Well-known types: the crate does not depend on `prost-types`, so the
//! well-known types we use are generated here too (`google.protobuf.rs`,
//! i.e. `pb::google::protobuf::Timestamp`), except `google.protobuf.Empty`,
//! which is mapped to `()` so RPC signatures stay simple.

use std::path::Path;

const PROTO_DIR: &str = "proto";

const PROTOS: &[&str] = &[
    "proto/tfplugin5.proto",
    "proto/tfplugin6.proto",
    "proto/plugin/grpc_controller.proto",
    "proto/plugin/grpc_stdio.proto",
    "proto/plugin/grpc_broker.proto",
];

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed={PROTO_DIR}");
    for proto in PROTOS {
        println!("cargo:rerun-if-changed={proto}");
    }

    if let Err(err) = generate() {
        // A readable message beats a panic backtrace in build-script output.
        eprintln!("error: compiling {PROTO_DIR}/ failed: {err}");
        std::process::exit(1);
    }
}

fn generate() -> Result<(), Box<dyn std::error::Error>> {
    for proto in PROTOS {
        if !Path::new(proto).is_file() {
            return Err(format!("missing {proto}").into());
        }
    }

    let fds = protox::compile(PROTOS, [PROTO_DIR]).map_err(|e| format!("{e:?}"))?;

    tonic_prost_build::configure()
        .build_server(true)
        .build_client(true)
        // We print our own rerun-if-changed lines above.
        .emit_rerun_if_changed(false)
        .compile_well_known_types(true)
        .extern_path(".google.protobuf.Empty", "()")
        .compile_fds(fds)?;

    Ok(())
}
