//! Compiles every contract under `proto/` with protox (pure Rust, no system `protoc`) and
//! generates prost messages plus tonic clients and servers, with one file descriptor set
//! kept for server reflection.

use std::path::PathBuf;

fn main() -> anyhow::Result<()> {
    // Read at run time: a build script compiled in another checkout must not look there.
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?).join("../../proto");
    let mut files = Vec::new();
    collect(&root, &mut files)?;
    files.sort();
    println!("cargo:rerun-if-changed={}", root.display());
    for file in &files {
        println!("cargo:rerun-if-changed={}", file.display());
    }

    let fds = protox::compile(&files, [&root])?;
    let out = PathBuf::from(std::env::var("OUT_DIR")?);
    std::fs::write(
        out.join("comptoir_descriptor.bin"),
        prost::Message::encode_to_vec(&fds),
    )?;
    tonic_prost_build::configure().compile_fds(without_deprecation(fds))?;
    Ok(())
}

fn collect(dir: &std::path::Path, files: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect(&path, files)?;
        } else if path.extension().is_some_and(|ext| ext == "proto") {
            files.push(path);
        }
    }
    Ok(())
}

/// The descriptors with fields' `deprecated` option cleared, for code generation only (the
/// set kept for reflection above still carries it). prost turns the option into
/// `#[deprecated]` on the Rust field, so every test that writes an event in its old shape,
/// as events already in the stream are, would warn; readers are steered to the shared
/// identity by `convert`'s accessors instead.
fn without_deprecation(mut fds: prost_types::FileDescriptorSet) -> prost_types::FileDescriptorSet {
    for file in &mut fds.file {
        for message in &mut file.message_type {
            for field in &mut message.field {
                if let Some(options) = field.options.as_mut() {
                    options.deprecated = None;
                }
            }
        }
    }
    fds
}
